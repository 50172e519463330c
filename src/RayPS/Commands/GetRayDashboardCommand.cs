using System.Management.Automation;
using RayPS.Completers;
using RayPS.Dashboard;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>
/// Lists the dashboard sessions of this PowerShell process with their live state and counters, and relays what
/// happened to them in the background (pod replaced, reconnected, gave up) as warnings. Talks to no cluster, so it
/// derives from the async bridge without -Context or -KubeConfig.
/// </summary>
[Cmdlet(VerbsCommon.Get, "RayDashboard", HelpUri = HelpLinks.Cmdlets + "Get-RayDashboard.md", DefaultParameterSetName = ClusterSet)]
[OutputType(typeof(RayDashboardSession))]
public sealed class GetRayDashboardCommand : RayAsyncCmdlet
{
    private const string ClusterSet = "ClusterName";
    private const string IdSet = "Id";

    /// <summary>Cluster names; wildcards allowed. Default: every session.</summary>
    [Parameter(ParameterSetName = ClusterSet, Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? ClusterName { get; set; }

    /// <summary>Only sessions of clusters in this namespace.</summary>
    [Parameter(ParameterSetName = ClusterSet, ValueFromPipelineByPropertyName = true)]
    [Alias("ns")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>Session Ids.</summary>
    [Parameter(ParameterSetName = IdSet, Mandatory = true)]
    public int[] Id { get; set; } = Array.Empty<int>();

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var registry = DashboardSessionRegistry.Default;
        var sessions = ParameterSetName == IdSet
            ? DashboardSessionSelection.ById(registry, Id, EmitError)
            : DashboardSessionSelection.ByCluster(registry, ClusterName, Namespace, EmitError);
        foreach (var session in sessions)
        {
            foreach (var notice in session.DrainNotices())
            {
                EmitWarning(notice);
            }
            Emit(session.View);
        }
        return Task.CompletedTask;
    }
}
