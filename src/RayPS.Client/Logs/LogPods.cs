using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;
using RayPS.Operations;

namespace RayPS.Logs;

/// <summary>A container of a pod as its log reader needs it: started at all, and how its previous instance ended.</summary>
internal sealed record LogContainer(string Name, bool IsInit, bool IsRayContainer, bool HasPrevious, string? PreviousTermination);

/// <summary>One Ray pod whose logs are read.</summary>
internal sealed class LogPod
{
    public required RayPodFacts Facts { get; init; }
    public required IReadOnlyList<LogContainer> Containers { get; init; }
    public string Name => Facts.Name;
    public string Namespace => Facts.Namespace;

    public static LogPod FromJson(JsonNode pod)
    {
        var facts = RayPodFacts.FromJson(pod);
        var statuses = pod.Items("status.containerStatuses").Concat(pod.Items("status.initContainerStatuses")).ToList();
        LogContainer Container(JsonNode spec, bool init)
        {
            var name = spec.Str("name") ?? "";
            var status = statuses.FirstOrDefault(s => s.Str("name") == name);
            var last = status.At("lastState.terminated");
            var previous = !string.IsNullOrEmpty(last.Str("containerID"));
            string? termination = null;
            if (last is not null)
            {
                var finished = last.Time("finishedAt");
                termination = $"{last.Str("reason") ?? "Terminated"} (exit code {last.Int("exitCode")?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"})"
                    + (finished is { } f ? $" at {f.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}" : "");
            }
            return new LogContainer(name, init, name == facts.RayContainer && !init, previous, termination);
        }
        var containers = pod.Items("spec.initContainers").Select(c => Container(c, true))
            .Concat(pod.Items("spec.containers").Select(c => Container(c, false)))
            .ToList();
        return new LogPod { Facts = facts, Containers = containers };
    }
}

/// <summary>Which pods of a cluster to read: name wildcards, node type, worker groups.</summary>
public sealed class LogPodFilter
{
    public IReadOnlyList<string>? PodNames { get; init; }

    /// <summary>head or worker; null for both.</summary>
    public string? NodeType { get; init; }

    public IReadOnlyList<string>? GroupNames { get; init; }
}

/// <summary>Finds a cluster's Ray pods with one pod LIST (label ray.io/cluster) and tells apart "no such cluster" and "no such pod".</summary>
internal static class LogPodResolver
{
    public const string NeededRole = "Reading logs needs, in the cluster's namespace: list on pods and get on pods/log (container logs), get on services/proxy (Ray's log files).";

    public static async Task<IReadOnlyList<LogPod>> ResolveAsync(KubeConnection connection, string ns, string cluster, LogPodFilter filter,
        Action<RayPSException> error, Action<string> warning, CancellationToken ct)
    {
        var path = KubePaths.WithSelector(KubePaths.Pods(ns), KubeRayNames.ClusterSelector(cluster));
        JsonObject list;
        try
        {
            list = await connection.Api.Raw.GetAsync(path, ct, "list pods").ConfigureAwait(false);
        }
        catch (KubeApiException ex)
        {
            throw ex.IsForbidden ? Forbidden(connection, ns, "list pods", ex) : ex.ToRayPSException();
        }
        var pods = list.Items("items").Select(LogPod.FromJson)
            .Where(p => p.Facts.Labels.GetValueOrDefault(KubeRayNames.NodeTypeLabel) is KubeRayNames.HeadNodeType or KubeRayNames.WorkerNodeType || p.Facts.OwnerKind == "ReplicaSet")
            .OrderBy(p => p.Facts.IsHead ? 0 : 1).ThenBy(p => p.Name, StringComparer.Ordinal)
            .ToList();
        if (pods.Count == 0)
        {
            // No pods: a cluster that does not exist, or one without pods (suspended, still starting).
            var cluster404 = false;
            try
            {
                await RayClusterOperations.GetRawAsync(connection, ns, cluster, ct).ConfigureAwait(false);
            }
            catch (KubeApiException ex) when (RayClusterOperations.IsMissing(ex) || ex.IsCrdMissing)
            {
                cluster404 = true;
            }
            catch (KubeApiException ex)
            {
                throw ex.ToRayPSException();
            }
            if (cluster404)
            {
                throw new RayPSException(ErrorIds.RayClusterNotFound, RayErrorCategory.ObjectNotFound,
                    $"RayCluster '{cluster}' was not found in namespace '{ns}' (context '{connection.ContextName}'), and no pods there are labelled {KubeRayNames.ClusterLabel}={cluster}. " +
                    "List clusters with Get-RayCluster -AllNamespaces, or pass -Namespace.", cluster);
            }
            warning($"RayCluster '{cluster}' in namespace '{ns}' has no pods yet (it may be suspended or still starting): there are no logs to read.");
            return [];
        }

        var selected = pods
            .Where(p => LogText.MatchesAny(filter.PodNames, p.Name))
            .Where(p => filter.NodeType is null || string.Equals(p.Facts.NodeType, filter.NodeType, StringComparison.OrdinalIgnoreCase))
            .Where(p => LogText.MatchesAny(filter.GroupNames, p.Facts.Group))
            .ToList();
        foreach (var name in filter.PodNames?.Where(n => !LogText.HasWildcard(n) && !pods.Any(p => string.Equals(p.Name, n, StringComparison.OrdinalIgnoreCase))) ?? [])
        {
            error(new RayPSException(ErrorIds.PodNotFound, RayErrorCategory.ObjectNotFound,
                $"Pod '{name}' is not a pod of RayCluster '{cluster}' in namespace '{ns}'. Its pods: {string.Join(", ", pods.Select(p => p.Name))}.", name));
        }
        return selected;
    }

    public static RayPSException Forbidden(KubeConnection connection, string ns, string verb, KubeApiException inner)
    {
        var server = inner.ServerMessage ?? inner.Message;
        var parts = verb.Split(' ', 2);
        return new RayPSException(ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied,
            $"Permission denied in context '{connection.ContextName}': cannot {verb} in namespace '{ns}': {server}. {NeededRole} " +
            $"Ask a cluster admin for that Role; check with: kubectl auth can-i {parts[0]} {parts[1]} -n {ns}.",
            verb, inner) { StatusCode = 403 };
    }
}
