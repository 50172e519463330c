using System.Collections;
using RayPS.Kube;
using RayPS.Operations;

namespace RayPS.Completers;

/// <summary>Completes -WorkersToDelete with the live worker pods of the group named by -ClusterName and -GroupName.</summary>
public sealed class WorkerPodNameCompleter : ClusterListingCompleter
{
    protected override string? Scope(IDictionary bound) =>
        bound["ClusterName"] is string { Length: > 0 } cluster && bound["GroupName"] is string { Length: > 0 } group ? cluster + "/" + group : null;

    protected override async Task<IReadOnlyList<string>> ListAsync(KubeConnection connection, string ns, string scope, CancellationToken ct)
    {
        var (cluster, group) = (scope[..scope.IndexOf('/')], scope[(scope.IndexOf('/') + 1)..]);
        return await WorkerGroupOperations.ListGroupPodNamesAsync(connection, ns, cluster, group, ct).ConfigureAwait(false);
    }
}
