using RayPS.Kube;
using RayPS.Operations;

namespace RayPS.Completers;

/// <summary>Completes RayCluster names with one LIST.</summary>
public sealed class RayClusterNameCompleter : ClusterListingCompleter
{
    protected override async Task<IReadOnlyList<string>> ListAsync(KubeConnection connection, string ns, string scope, CancellationToken ct)
    {
        var clusters = await RayClusterOperations.ListAsync(connection, ns, ct).ConfigureAwait(false);
        return clusters.Select(c => c.Name).ToList();
    }
}
