using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;

namespace RayPS.Operations;

/// <summary>What a create returned: the cluster as the server stored it (or would, for a dry run) and its warnings.</summary>
public sealed class RayClusterCreateResult
{
    public RayClusterCreateResult(RayCluster cluster, IReadOnlyList<string> warnings)
    {
        Cluster = cluster;
        Warnings = warnings;
    }

    public RayCluster Cluster { get; }

    /// <summary>The API server's Warning headers (e.g. unknown fields it dropped).</summary>
    public IReadOnlyList<string> Warnings { get; }
}

/// <summary>Creates, deletes and waits for RayClusters. Waiting watches (one streaming request), it never polls.</summary>
public static partial class RayClusterLifecycle
{
    public const string ClusterLabel = KubeRayNames.ClusterLabel;

    private static readonly TimeSpan DiagnosisTimeout = TimeSpan.FromSeconds(10);

    [GeneratedRegex("^\\d{3} \\S+ \"(?<text>(?:[^\"\\\\]|\\\\.)*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex WarningHeader();

    /// <summary>
    /// One POST of <paramref name="manifest"/> into <paramref name="ns"/> (metadata.namespace is set to it), or a
    /// server-side dry run (?dryRun=All) that returns the defaulted object and stores nothing.
    /// </summary>
    public static async Task<RayClusterCreateResult> CreateAsync(KubeConnection connection, string ns, JsonObject manifest, bool dryRun, CancellationToken ct)
    {
        var body = (JsonObject)manifest.DeepClone();
        if (body["metadata"] is not JsonObject metadata)
        {
            body["metadata"] = metadata = new JsonObject();
        }
        metadata["namespace"] = ns;
        var name = metadata["name"]?.GetValue<string>() ?? string.Empty;
        var path = RayClusterOperations.CollectionPath(ns) + (dryRun ? "?dryRun=All" : string.Empty);
        try
        {
            using var response = await connection.Api.Raw.SendAsync(HttpMethod.Post, path, body, "application/json", ct, $"RayCluster '{name}'").ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            var created = JsonNode.Parse(text) as JsonObject ?? new JsonObject();
            var warnings = response.Headers.TryGetValues("Warning", out var values) ? values.Select(ParseWarning).ToList() : new List<string>();
            return new RayClusterCreateResult(RayCluster.FromJson(created, connection.ContextName), warnings);
        }
        catch (KubeApiException ex) when (ex.IsAlreadyExists && ex.DetailsKind == "rayclusters")
        {
            throw new RayPSException(ErrorIds.RayClusterExists, RayErrorCategory.ResourceExists,
                $"RayCluster '{name}' already exists in namespace '{ns}' (context '{connection.ContextName}'). Change it with Set-RayWorkerReplicas or Add-RayWorkerGroup, or delete it first with Remove-RayCluster.",
                name, ex) { StatusCode = ex.StatusCode };
        }
        catch (KubeApiException ex) when (ex.IsForbidden)
        {
            throw Forbidden(connection, "create", ns, ex);
        }
        catch (KubeApiException ex)
        {
            throw ex.ToRayPSException();
        }
    }

    /// <summary>One DELETE; returns the object as the server last had it, or null when the server answered with a Status.</summary>
    public static async Task<RayCluster?> DeleteAsync(KubeConnection connection, string ns, string name, CancellationToken ct)
    {
        try
        {
            var result = await connection.Api.Raw.DeleteAsync(RayClusterOperations.ItemPath(ns, name), ct, $"RayCluster '{name}'").ConfigureAwait(false);
            return result.Str("kind") == "RayCluster" ? RayCluster.FromJson(result, connection.ContextName) : null;
        }
        catch (KubeApiException ex) when (ex.IsForbidden)
        {
            throw Forbidden(connection, "delete", ns, ex);
        }
        catch (KubeApiException ex)
        {
            throw RayClusterOperations.Map(connection, ns, name, ex);
        }
    }

    /// <summary>The selector of a cluster's Deployment worker groups (New-RayWorkerDeployment): its cluster label, a group, not a head.</summary>
    public static string DeploymentGroupSelector(string name) =>
        $"{KubeRayNames.ClusterLabel}={name},{KubeRayNames.GroupLabel},{KubeRayNames.NodeTypeLabel}!=head";

    /// <summary>
    /// Deletes the cluster's Deployment worker groups with one DELETE of the collection (background propagation: the
    /// garbage collector removes their ReplicaSets and pods, which carry ray.io/cluster and so are waited for with the
    /// cluster's). Returns the names deleted. Their pods would otherwise keep dialling a head that is gone.
    /// </summary>
    public static async Task<IReadOnlyList<string>> DeleteDeploymentGroupsAsync(KubeConnection connection, string ns, string name, CancellationToken ct)
    {
        var path = WorkerGroupOperations.DeploymentsPath(ns) + "?labelSelector=" + Uri.EscapeDataString(DeploymentGroupSelector(name)) + "&propagationPolicy=Background";
        try
        {
            var result = await connection.Api.Raw.DeleteAsync(path, ct, $"Deployment worker groups of RayCluster '{name}'").ConfigureAwait(false);
            return result["items"] is JsonArray items
                ? items.Select(i => i?["metadata"]?["name"]?.GetValue<string>() ?? "").Where(n => n.Length > 0).ToList()
                : Array.Empty<string>();
        }
        catch (KubeApiException ex) when (!ex.IsForbidden)
        {
            throw ex.ToRayPSException();
        }
        catch (KubeApiException ex)
        {
            throw new RayPSException(ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied,
                $"RayCluster '{name}' was deleted, but its Deployment worker groups were not: deleting Deployments by label (deletecollection on deployments) " +
                $"is not allowed in namespace '{ns}' (context '{connection.ContextName}'). Remove them with Remove-RayWorkerGroup, or pass -KeepDeployments.",
                name, ex) { StatusCode = 403 };
        }
    }

    /// <summary>True once KubeRay reports the cluster provisioned (RayClusterProvisioned) or its state is ready.</summary>
    public static bool IsReady(RayCluster cluster) =>
        string.Equals(cluster.State, "ready", StringComparison.OrdinalIgnoreCase)
        || cluster.Conditions.Any(c => c.Type == "RayClusterProvisioned" && c.Status == "True");

    /// <summary>Head plus desired workers.</summary>
    public static int PodsDesired(RayCluster cluster) => 1 + cluster.DesiredWorkers;

    /// <summary>Ready head (HeadPodReady, or a ready state) plus ready workers.</summary>
    public static int PodsReady(RayCluster cluster)
    {
        var headReady = cluster.Conditions.Any(c => c.Type == "HeadPodReady" && c.Status == "True")
            || string.Equals(cluster.State, "ready", StringComparison.OrdinalIgnoreCase);
        return (headReady ? 1 : 0) + cluster.ReadyWorkers;
    }

    /// <summary>
    /// Waits until the cluster is ready, watching it from <paramref name="fromResourceVersion"/> (the version a create
    /// returned) or, when null, from a fresh read. <paramref name="progress"/> sees every new state. When
    /// <paramref name="timeout"/> passes, the pods are read and RayClusterNotReady says what holds them back; the
    /// cluster is left as it is.
    /// </summary>
    public static async Task<RayCluster> WaitReadyAsync(KubeConnection connection, string ns, string name, TimeSpan timeout,
        string? fromResourceVersion, Action<RayCluster>? progress, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        RayCluster? latest = null;
        try
        {
            var version = fromResourceVersion;
            if (version is null)
            {
                latest = await RayClusterOperations.GetAsync(connection, ns, name, deadline.Token).ConfigureAwait(false);
                progress?.Invoke(latest);
                if (IsReady(latest))
                {
                    return latest;
                }
                version = latest.ResourceVersion;
            }

            var watch = ClusterWatch(connection, ns, name);
            await watch.RunAsync(version, evt =>
            {
                if (evt.Type == "DELETED")
                {
                    throw new RayPSException(ErrorIds.RayClusterNotFound, RayErrorCategory.ObjectNotFound,
                        $"RayCluster '{name}' in namespace '{ns}' was deleted while waiting for it to become ready.", name);
                }
                latest = RayCluster.FromJson(evt.Object, connection.ContextName);
                progress?.Invoke(latest);
                return IsReady(latest);
            }, async token =>
            {
                latest = await RayClusterOperations.GetAsync(connection, ns, name, token).ConfigureAwait(false);
                progress?.Invoke(latest);
                return IsReady(latest) ? null : latest.ResourceVersion;
            }, deadline.Token).ConfigureAwait(false);
            return latest!;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw await NotReadyAsync(connection, ns, name, latest, DateTimeOffset.UtcNow - started, ct).ConfigureAwait(false);
        }
        catch (RayPSException ex) when (ex.InnerException is OperationCanceledException && deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // A request the deadline cut short (no answer: KubeApiTimeout).
            throw await NotReadyAsync(connection, ns, name, latest, DateTimeOffset.UtcNow - started, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until the RayCluster object is gone and so are its pods (label ray.io/cluster=&lt;name&gt;), watching both.
    /// <paramref name="progress"/> gets the number of pods left. On timeout: RayClusterDeletionTimeout naming what remains.
    /// </summary>
    public static async Task WaitDeletedAsync(KubeConnection connection, string ns, string name, TimeSpan timeout, Action<int>? progress, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var clusterGone = false;
        RayCluster? remaining = null;
        var pods = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        try
        {
            async Task<string?> ReadCluster(CancellationToken token)
            {
                try
                {
                    remaining = await RayClusterOperations.GetRawAsync(connection, ns, name, token).ConfigureAwait(false);
                    return remaining.ResourceVersion ?? string.Empty;
                }
                catch (KubeApiException ex) when (RayClusterOperations.IsMissing(ex))
                {
                    return null;
                }
                catch (KubeApiException ex)
                {
                    throw ex.ToRayPSException();
                }
            }

            var version = await ReadCluster(deadline.Token).ConfigureAwait(false);
            if (version is not null)
            {
                await ClusterWatch(connection, ns, name).RunAsync(version, evt =>
                {
                    remaining = RayCluster.FromJson(evt.Object, connection.ContextName);
                    return evt.Type == "DELETED";
                }, ReadCluster, deadline.Token).ConfigureAwait(false);
            }
            clusterGone = true;

            async Task<string?> RelistPods(CancellationToken token)
            {
                var list = await connection.Api.GetAsync(PodsPath(ns, name), token, $"pods of RayCluster '{name}'").ConfigureAwait(false);
                pods.Clear();
                foreach (var pod in PodDiagnostics.Items(list))
                {
                    pods[pod.Str("metadata.name") ?? string.Empty] = pod;
                }
                progress?.Invoke(pods.Count);
                return pods.Count == 0 ? null : list.Str("metadata.resourceVersion") ?? string.Empty;
            }

            var podVersion = await RelistPods(deadline.Token).ConfigureAwait(false);
            if (podVersion is null)
            {
                return;
            }
            var podWatch = new KubeWatch(connection.Api, KubePaths.Pods(ns))
            {
                LabelSelector = $"{ClusterLabel}={name}",
                What = $"pods of RayCluster '{name}'",
            };
            await podWatch.RunAsync(podVersion, evt =>
            {
                var podName = evt.Object.Str("metadata.name") ?? string.Empty;
                if (evt.Type == "DELETED")
                {
                    pods.Remove(podName);
                }
                else
                {
                    pods[podName] = evt.Object;
                }
                progress?.Invoke(pods.Count);
                return pods.Count == 0;
            }, RelistPods, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            var waited = (int)(DateTimeOffset.UtcNow - started).TotalSeconds;
            var beingDeleted = clusterGone || remaining?.Raw.Str("metadata.deletionTimestamp") is not null;
            var what = clusterGone
                ? $"{pods.Count} of its pods still exist: {string.Join("; ", pods.Values.Select(DescribeRemaining).Take(5))}"
                : DescribeRemaining(remaining);
            var next = beingDeleted
                ? "Deletion goes on in the background; wait longer with Wait-RayCluster -For Deleted -TimeoutSec <seconds>"
                : "Delete it with Remove-RayCluster";
            throw new RayPSException(ErrorIds.RayClusterDeletionTimeout, RayErrorCategory.OperationTimeout,
                $"RayCluster '{name}' in namespace '{ns}' is not deleted after {waited} s: {what}. {next}.", name);
        }
    }

    private static string DescribeRemaining(RayCluster? cluster)
    {
        var raw = cluster?.Raw;
        if (raw.Str("metadata.deletionTimestamp") is null)
        {
            return "the RayCluster still exists and nobody is deleting it";
        }
        var finalizers = raw.Items("metadata.finalizers").Select(f => f.ToString()).ToList();
        return finalizers.Count > 0
            ? $"the RayCluster is being deleted but its finalizers ({string.Join(", ", finalizers)}) still hold it"
            : "the RayCluster is being deleted but still exists";
    }

    private static string DescribeRemaining(JsonObject pod)
    {
        var name = pod.Str("metadata.name");
        var finalizers = pod.Items("metadata.finalizers").Select(f => f.ToString()).ToList();
        var state = pod.Str("metadata.deletionTimestamp") is null ? $"{pod.Str("status.phase") ?? "Pending"}, not being deleted" : "terminating";
        return finalizers.Count > 0 ? $"{name} ({state}, finalizers {string.Join(", ", finalizers)})" : $"{name} ({state})";
    }

    private static KubeWatch ClusterWatch(KubeConnection connection, string ns, string name) =>
        new(connection.Api, RayClusterOperations.CollectionPath(ns))
        {
            FieldSelector = $"metadata.name={name}",
            What = $"RayCluster '{name}'",
        };



    private static string PodsPath(string ns, string name) =>
        KubePaths.WithSelector(KubePaths.Pods(ns), KubeRayNames.ClusterSelector(name));

    private static async Task<RayPSException> NotReadyAsync(KubeConnection connection, string ns, string name, RayCluster? latest, TimeSpan waited, CancellationToken ct)
    {
        string cause;
        try
        {
            using var diagnosis = CancellationTokenSource.CreateLinkedTokenSource(ct);
            diagnosis.CancelAfter(DiagnosisTimeout);
            var list = await connection.Api.GetAsync(PodsPath(ns, name), diagnosis.Token, $"pods of RayCluster '{name}'").ConfigureAwait(false);
            var pods = PodDiagnostics.Items(list).ToList();
            var problems = PodDiagnostics.Explain(pods);
            cause = pods.Count == 0
                ? "no Ray pods exist yet; is the KubeRay operator running? Check it with Get-KubeRayOperator"
                : problems.Count == 0 ? $"all {pods.Count} pods are ready but KubeRay has not reported the cluster ready yet" : string.Join("; ", problems);
        }
        catch (Exception ex) when (ex is RayPSException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            cause = $"its pods could not be read ({ex.Message})";
        }

        var state = latest?.State is { Length: > 0 } s ? s : "not reported yet";
        var podCount = latest is null ? string.Empty : $"; {PodsReady(latest)}/{PodsDesired(latest)} pods ready";
        var reason = latest?.Reason is { Length: > 0 } r ? $"; KubeRay says: {r}" : string.Empty;
        return new RayPSException(ErrorIds.RayClusterNotReady, RayErrorCategory.OperationTimeout,
            $"RayCluster '{name}' in namespace '{ns}' is not ready after {waited.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s (state: {state}{podCount}{reason}): {cause}. The cluster was left in place: fix the cause and wait again with Wait-RayCluster, or delete it with Remove-RayCluster.",
            name);
    }

    private static RayPSException Forbidden(KubeConnection connection, string verb, string ns, KubeApiException ex) =>
        new(ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied,
            $"You are not allowed to {verb} rayclusters (API group ray.io) in namespace '{ns}' (context '{connection.ContextName}'): {ServerMessage(ex)}. Ask a cluster admin for a Role that grants '{verb}' on 'rayclusters.ray.io'.",
            ex.Target, ex) { StatusCode = ex.StatusCode };

    /// <summary>The server's own words, or (a refusal without a Status body) what the mapped error would say.</summary>
    private static string ServerMessage(KubeApiException ex) => ex.ServerMessage ?? ex.ToRayPSException().Message;

    /// <summary>The text of a Warning header ("299 - \"unknown field \\\"spec.x\\\"\"" gives: unknown field "spec.x").</summary>
    internal static string ParseWarning(string header)
    {
        var match = WarningHeader().Match(header);
        return match.Success ? Regex.Unescape(match.Groups["text"].Value) : header;
    }
}
