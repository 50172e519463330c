using RayPS.Kube;

namespace RayPS.Completers;

/// <summary>Completes -Namespace with the cluster's namespaces (one LIST; nothing when the user may not list them).</summary>
public sealed class NamespaceCompleter : ClusterListingCompleter
{
    protected override async Task<IReadOnlyList<string>> ListAsync(KubeConnection connection, string ns, string scope, CancellationToken ct)
    {
        var list = await connection.Api.GetAsync(KubePaths.Namespaces, ct, "namespaces").ConfigureAwait(false);
        return CompletionHelpers.ItemNames(list);
    }
}
