using System.Management.Automation;
using RayPS.Completers;
using RayPS.Dashboard;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>
/// Stops dashboard sessions: closes their local ports, ends their connections and port-forward streams, and removes
/// them from Get-RayDashboard. Talks to no cluster, so it derives from the async bridge without -Context or -KubeConfig.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "RayDashboard", HelpUri = HelpLinks.Cmdlets + "Stop-RayDashboard.md", SupportsShouldProcess = true, DefaultParameterSetName = ClusterSet)]
[OutputType(typeof(RayDashboardSession))]
public sealed class StopRayDashboardCommand : RayAsyncCmdlet
{
    private const string ClusterSet = "ClusterName";
    private const string IdSet = "Id";
    private const string InputSet = "InputObject";
    private const string AllSet = "All";

    /// <summary>Stops the sessions of these clusters; wildcards allowed.</summary>
    [Parameter(ParameterSetName = ClusterSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] ClusterName { get; set; } = Array.Empty<string>();

    /// <summary>Only sessions of clusters in this namespace.</summary>
    [Parameter(ParameterSetName = ClusterSet, ValueFromPipelineByPropertyName = true)]
    [Alias("ns")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>Session Ids.</summary>
    [Parameter(ParameterSetName = IdSet, Mandatory = true)]
    public int[] Id { get; set; } = Array.Empty<int>();

    /// <summary>Sessions from Start- or Get-RayDashboard.</summary>
    [Parameter(ParameterSetName = InputSet, Mandatory = true, ValueFromPipeline = true)]
    public RayDashboardSession[] InputObject { get; set; } = Array.Empty<RayDashboardSession>();

    /// <summary>Stops every session of this process.</summary>
    [Parameter(ParameterSetName = AllSet, Mandatory = true)]
    public SwitchParameter All { get; set; }

    /// <summary>Writes the stopped sessions.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var registry = DashboardSessionRegistry.Default;
        var sessions = ParameterSetName switch
        {
            IdSet => DashboardSessionSelection.ById(registry, Id, EmitError),
            InputSet => DashboardSessionSelection.ById(registry, InputObject.Select(s => s.Id), EmitError),
            AllSet => registry.List(),
            _ => DashboardSessionSelection.ByCluster(registry, ClusterName, Namespace, EmitError),
        };
        foreach (var session in sessions.ToList())
        {
            var what = $"dashboard session {session.Id} ({session.Options.Namespace}/{session.Options.ClusterName}, {session.Url})";
            if (!await ShouldProcessAsync(what, "Stop").ConfigureAwait(false))
            {
                continue;
            }
            await registry.StopAsync(session).WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var notice in session.DrainNotices())
            {
                EmitWarning(notice);
            }
            if (PassThru)
            {
                Emit(session.View);
            }
        }
    }
}
