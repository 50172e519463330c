using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Operations;

/// <summary>Reads and writes RayCluster objects (ray.io/v1).</summary>
public static class RayClusterOperations
{
    public const string ApiPath = KubePaths.RayApi;

    public static string CollectionPath(string? ns) => KubePaths.RayClusters(ns);

    public static string ItemPath(string ns, string name) => KubePaths.RayCluster(ns, name);

    /// <summary>One LIST (namespaced, or across all namespaces when <paramref name="ns"/> is null).</summary>
    public static async Task<IReadOnlyList<RayCluster>> ListAsync(KubeConnection connection, string? ns, CancellationToken ct, string? labelSelector = null)
    {
        var path = CollectionPath(ns);
        if (!string.IsNullOrEmpty(labelSelector))
        {
            path += "?labelSelector=" + Uri.EscapeDataString(labelSelector);
        }
        var list = await connection.Api.GetAsync(path, ct, ns is null ? "rayclusters (all namespaces)" : $"rayclusters in namespace '{ns}'").ConfigureAwait(false);
        return list["items"] is JsonArray items
            ? items.OfType<JsonObject>().Select(o => RayCluster.FromJson(o, connection.ContextName)).OrderBy(c => c.Namespace, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal).ToList()
            : Array.Empty<RayCluster>();
    }

    /// <summary>One GET; a missing cluster raises RayClusterNotFound naming the namespace and context.</summary>
    public static async Task<RayCluster> GetAsync(KubeConnection connection, string ns, string name, CancellationToken ct)
    {
        try
        {
            var obj = await connection.Api.GetAsync(ItemPath(ns, name), ct, $"RayCluster '{name}'").ConfigureAwait(false);
            return RayCluster.FromJson(obj, connection.ContextName);
        }
        catch (RayPSException ex) when (ex.ErrorId == ErrorIds.RayClusterNotFound)
        {
            throw NotFound(connection, ns, name, ex);
        }
    }

    public static RayPSException NotFound(KubeConnection connection, string ns, string name, Exception? inner = null) =>
        new(ErrorIds.RayClusterNotFound, RayErrorCategory.ObjectNotFound,
            $"RayCluster '{name}' was not found in namespace '{ns}' (context '{connection.ContextName}'). List clusters with Get-RayCluster -AllNamespaces, or pass -Namespace.",
            name, inner);
}
