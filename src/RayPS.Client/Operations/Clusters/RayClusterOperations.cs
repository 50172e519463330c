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
        try
        {
            return await ListRawAsync(connection, ns, ct, labelSelector).ConfigureAwait(false);
        }
        catch (KubeApiException ex)
        {
            throw ex.ToRayPSException();
        }
    }

    /// <summary>One LIST; a refusal throws the unmapped KubeApiException.</summary>
    internal static async Task<IReadOnlyList<RayCluster>> ListRawAsync(KubeConnection connection, string? ns, CancellationToken ct, string? labelSelector = null)
    {
        var path = CollectionPath(ns);
        if (!string.IsNullOrEmpty(labelSelector))
        {
            path += "?labelSelector=" + Uri.EscapeDataString(labelSelector);
        }
        var list = await connection.Api.Raw.GetAsync(path, ct, ns is null ? "rayclusters (all namespaces)" : $"rayclusters in namespace '{ns}'").ConfigureAwait(false);
        return list["items"] is JsonArray items
            ? items.OfType<JsonObject>().Select(o => RayCluster.FromJson(o, connection.ContextName)).OrderBy(c => c.Namespace, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal).ToList()
            : Array.Empty<RayCluster>();
    }

    /// <summary>One GET; a missing cluster raises RayClusterNotFound naming the namespace and context.</summary>
    public static async Task<RayCluster> GetAsync(KubeConnection connection, string ns, string name, CancellationToken ct)
    {
        try
        {
            return await GetRawAsync(connection, ns, name, ct).ConfigureAwait(false);
        }
        catch (KubeApiException ex)
        {
            throw Map(connection, ns, name, ex);
        }
    }

    /// <summary>One GET; a refusal (a missing cluster: <see cref="IsMissing"/>) throws the unmapped KubeApiException.</summary>
    internal static async Task<RayCluster> GetRawAsync(KubeConnection connection, string ns, string name, CancellationToken ct)
    {
        var obj = await connection.Api.Raw.GetAsync(ItemPath(ns, name), ct, $"RayCluster '{name}'").ConfigureAwait(false);
        return RayCluster.FromJson(obj, connection.ContextName);
    }

    /// <summary>The API server's answer for a RayCluster that is not there (404 naming rayclusters).</summary>
    public static bool IsMissing(KubeApiException ex) => ex.IsNotFoundOf("rayclusters");

    /// <summary>The one mapping of a refusal about cluster <paramref name="name"/>: a missing cluster is RayClusterNotFound naming the namespace.</summary>
    public static RayPSException Map(KubeConnection connection, string ns, string name, KubeApiException ex) =>
        IsMissing(ex) ? NotFound(connection, ns, name, ex) : ex.ToRayPSException();

    public static RayPSException NotFound(KubeConnection connection, string ns, string name, Exception? inner = null) =>
        new(ErrorIds.RayClusterNotFound, RayErrorCategory.ObjectNotFound,
            $"RayCluster '{name}' was not found in namespace '{ns}' (context '{connection.ContextName}'). List clusters with Get-RayCluster -AllNamespaces, or pass -Namespace.",
            name, inner);
}
