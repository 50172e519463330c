using System.Collections;
using RayPS.Kube;
using RayPS.Sandbox;

namespace RayPS.Completers;

/// <summary>
/// Completes pod names of Ray clusters (pods labelled ray.io/cluster) in the namespace, only those of -ClusterName when
/// it is given. For the sandbox cmdlets the kubeconfig is the -Sandbox's, else that of the only sandbox running.
/// </summary>
public sealed class PodNameCompleter : ClusterListingCompleter
{
    protected override string? Scope(IDictionary bound) => bound["ClusterName"] as string ?? "";

    protected override string? KubeConfigPath(IDictionary bound) =>
        bound["KubeConfig"] as string
        ?? (bound["Sandbox"] as RaySandbox)?.KubeConfigPath
        ?? (SandboxRegistry.All is { Count: 1 } only ? only[0].KubeConfigPath : null);

    protected override async Task<IReadOnlyList<string>> ListAsync(KubeConnection connection, string ns, string cluster, CancellationToken ct)
    {
        var selector = cluster.Length > 0 ? KubeRayNames.ClusterSelector(cluster) : KubeRayNames.ClusterLabel;
        var list = await connection.Api.GetAsync(KubePaths.WithSelector(KubePaths.Pods(ns), selector), ct, "pods").ConfigureAwait(false);
        return CompletionHelpers.ItemNames(list);
    }
}
