using System.Collections;
using RayPS.Kube;
using RayPS.Operations;

namespace RayPS.Completers;

/// <summary>Completes -GroupName (or -Name) with the worker groups, both kinds, of the cluster named by -ClusterName.</summary>
public sealed class WorkerGroupNameCompleter : ClusterListingCompleter
{
    /// <summary>The -ClusterName; without one there is nothing to offer.</summary>
    protected override string? Scope(IDictionary bound) => bound["ClusterName"] is string { Length: > 0 } cluster ? cluster : null;

    protected override async Task<IReadOnlyList<string>> ListAsync(KubeConnection connection, string ns, string cluster, CancellationToken ct)
    {
        var listing = await WorkerGroupOperations.ListAsync(connection, ns, cluster, ct).ConfigureAwait(false);
        return listing.Groups.Select(g => g.GroupName).ToList();
    }
}
