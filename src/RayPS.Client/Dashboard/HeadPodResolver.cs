using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;
using RayPS.Operations;

namespace RayPS.Dashboard;

/// <summary>
/// Finds the pod behind a RayCluster's head service: the pod named in status.head.podName when it is ready, else the
/// newest ready pod matched by the head service's selector (else by KubeRay's head labels). Asked again after the pod
/// is replaced, so it never trusts a cached name.
/// </summary>
internal sealed class HeadPodResolver
{
    private readonly KubeConnection _connection;
    private readonly string _namespace;
    private readonly string _clusterName;

    public HeadPodResolver(KubeConnection connection, string ns, string clusterName)
    {
        _connection = connection;
        _namespace = ns;
        _clusterName = clusterName;
    }

    /// <summary>The ready head pod, or RayClusterNotFound / DashboardTargetNotReady naming the pod's phase and reason.</summary>
    public async Task<DashboardTarget> ResolveAsync(CancellationToken ct)
    {
        var cluster = await RayClusterOperations.GetAsync(_connection, _namespace, _clusterName, ct).ConfigureAwait(false);
        JsonObject? named = null;
        if (!string.IsNullOrEmpty(cluster.HeadPodName))
        {
            named = await TryGetAsync(KubePaths.Pod(_namespace, cluster.HeadPodName), $"pod '{cluster.HeadPodName}'", ct).ConfigureAwait(false);
            if (named is not null && IsUsable(named))
            {
                return ToTarget(named);
            }
        }

        var candidates = await ListHeadPodsAsync(cluster, ct).ConfigureAwait(false);
        var usable = candidates.Where(IsUsable).OrderByDescending(p => p.Time("metadata.creationTimestamp")).FirstOrDefault();
        if (usable is not null)
        {
            return ToTarget(usable);
        }

        var newest = candidates.OrderByDescending(p => p.Time("metadata.creationTimestamp")).FirstOrDefault() ?? named;
        throw NotReady(newest);
    }

    private async Task<IReadOnlyList<JsonObject>> ListHeadPodsAsync(RayCluster cluster, CancellationToken ct)
    {
        var serviceName = string.IsNullOrEmpty(cluster.HeadServiceName) ? KubeRayNames.HeadServiceName(_clusterName) : cluster.HeadServiceName;
        var service = await TryGetAsync(KubePaths.Service(_namespace, serviceName), $"service '{serviceName}'", ct).ConfigureAwait(false);
        var selector = service.Map("spec.selector");
        var labelSelector = selector.Count > 0
            ? string.Join(",", selector.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))
            : KubeRayNames.HeadSelector(_clusterName);
        var list = await _connection.Api.GetAsync(
            KubePaths.WithSelector(KubePaths.Pods(_namespace), labelSelector), ct, $"head pods of RayCluster '{_clusterName}'").ConfigureAwait(false);
        return list["items"] is JsonArray items ? items.OfType<JsonObject>().ToList() : Array.Empty<JsonObject>();
    }

    private async Task<JsonObject?> TryGetAsync(string path, string what, CancellationToken ct)
    {
        try
        {
            return await _connection.Api.Raw.GetAsync(path, ct, what).ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex.IsNotFound)
        {
            return null;
        }
        catch (KubeApiException ex)
        {
            throw ex.ToRayPSException();
        }
    }

    /// <summary>
    /// Running, Ready and not being deleted. KubeRay's head readiness probe asks the dashboard itself
    /// (/api/gcs_healthz on 8265), so Ready means the dashboard answers; a merely Running pod may still be starting Ray.
    /// </summary>
    private static bool IsUsable(JsonObject pod) =>
        pod.Str("status.phase") == "Running" && pod.Str("metadata.deletionTimestamp") is null
        && pod.Items("status.conditions").Any(c => c.Str("type") == "Ready" && c.Str("status") == "True");

    private static DashboardTarget ToTarget(JsonObject pod) => new(
        pod.Str("metadata.namespace") ?? "",
        pod.Str("metadata.name") ?? "",
        pod.Str("metadata.uid"),
        ContainerPort(pod, "dashboard") ?? DashboardSessionOptions.DefaultDashboardPort,
        ContainerPort(pod, "client") ?? DashboardSessionOptions.DefaultClientPort);

    /// <summary>The containerPort KubeRay names "dashboard" or "client" (a cluster may move them with rayStartParams).</summary>
    private static int? ContainerPort(JsonObject pod, string name) =>
        pod.Items("spec.containers").SelectMany(c => c.Items("ports")).Where(p => p.Str("name") == name).Select(p => p.Int("containerPort")).FirstOrDefault(p => p is > 0);

    private RayPSException NotReady(JsonObject? pod)
    {
        var state = pod is null
            ? "it has no head pod yet"
            : $"the head pod '{pod.Str("metadata.name")}' is {pod.Str("status.phase") ?? "Unknown"}" + (PodDiagnostics.Explain(pod) is { } why ? $" ({why})" : "");
        return new RayPSException(ErrorIds.DashboardTargetNotReady, RayErrorCategory.ResourceUnavailable,
            $"Cannot forward to the dashboard of RayCluster '{_clusterName}' in namespace '{_namespace}' (context '{_connection.ContextName}'): {state}. " +
            $"Wait until it is ready (Wait-RayCluster {_clusterName} -Namespace {_namespace}), then try again.",
            _clusterName);
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);
}
