using System.Management.Automation;
using RayPS.Completers;
using RayPS.Operations;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>
/// Gets the worker groups of a Ray cluster, both kinds: RayCluster workerGroupSpecs entries and Deployments labelled
/// ray.io/cluster and ray.io/group. Three requests per cluster, sent together.
/// </summary>
[Cmdlet(VerbsCommon.Get, "RayWorkerGroup", HelpUri = HelpLinks.Cmdlets + "Get-RayWorkerGroup.md")]
[OutputType(typeof(RayWorkerGroup))]
public sealed class GetRayWorkerGroupCommand : RayNamespacedCmdletBase
{
    /// <summary>The Ray cluster (binds from the ClusterName of RayCluster objects).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    /// <summary>Group names; wildcards allowed. Default: every group.</summary>
    [Parameter(Position = 1)]
    [Alias("GroupName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(WorkerGroupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    // Piped nodes or groups name the same cluster many times; each cluster (and -Name filter) is listed once per pipeline.
    private readonly HashSet<string> _listed = new(StringComparer.Ordinal);

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var ns = TargetNamespace;
        if (!_listed.Add($"{ns}/{ClusterName}/{string.Join(",", Name ?? Array.Empty<string>())}"))
        {
            return;
        }
        var listing = await WorkerGroupOperations.ListAsync(Connection, ns, ClusterName, cancellationToken).ConfigureAwait(false);
        if (listing.ClusterMissing is { } missing)
        {
            EmitWarning($"No RayCluster '{ClusterName}' in namespace '{ns}' ({missing.ErrorId}); showing its Deployment worker groups only. " +
                "Their workers have no head to join until a RayCluster of that name exists.");
        }

        if (Name is null)
        {
            foreach (var group in listing.Groups)
            {
                Emit(group);
            }
            return;
        }

        var emitted = new HashSet<RayWorkerGroup>();
        foreach (var name in Name)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.None);
            var matches = listing.Groups.Where(g => pattern.IsMatch(g.GroupName)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                EmitError(WorkerGroupOperations.GroupNotFound(Connection, ns, ClusterName, name, listing.Groups));
                continue;
            }
            foreach (var group in matches.Where(emitted.Add))
            {
                Emit(group);
            }
        }
    }
}
