using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;
using RayPS.Ray;

namespace RayPS.Operations;

/// <summary>What Ray says a worker's node is doing (the dashboard's stateSnapshot).</summary>
public enum RayNodeActivity
{
    /// <summary>Ray did not say (head unreachable, no node for the pod, an older Ray).</summary>
    Unknown,

    /// <summary>No running tasks or actors.</summary>
    Idle,

    /// <summary>Running tasks or actors, or draining.</summary>
    Busy,
}

/// <summary>The activity of a cluster's Ray nodes as one read of the head's node summary found it.</summary>
internal sealed class RayClusterActivity
{
    private RayClusterActivity(IReadOnlyList<RayNodeRecord> nodes, string? problem)
    {
        Nodes = nodes;
        Problem = problem;
    }

    public IReadOnlyList<RayNodeRecord> Nodes { get; }

    /// <summary>Why Ray's state could not be read; null when it was.</summary>
    public string? Problem { get; }

    public static RayClusterActivity Known(IReadOnlyList<RayNodeRecord> nodes) => new(nodes, null);

    public static RayClusterActivity Unknown(string problem) => new(Array.Empty<RayNodeRecord>(), problem);

    /// <summary>The pod's live Ray node, matched by pod IP, else by host name (the pod's name).</summary>
    public RayNodeActivity Of(RayPodFacts pod)
    {
        var node = Nodes.FirstOrDefault(n => n.IsAlive && pod.PodIP is { Length: > 0 } ip && n.Ip == ip)
            ?? Nodes.FirstOrDefault(n => n.IsAlive && n.Hostname == pod.Name);
        return node switch
        {
            { IsIdle: true } => RayNodeActivity.Idle,
            { IsBusy: true } => RayNodeActivity.Busy,
            _ => RayNodeActivity.Unknown,
        };
    }
}

public static partial class WorkerGroupOperations
{
    private static readonly TimeSpan RayStateTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reads which Ray nodes are idle from the head's dashboard (<c>/nodes?view=summary</c>, through the API server's
    /// service proxy: one GET). Never throws for Ray's or the proxy's failures: they come back as the reason it is unknown.
    /// </summary>
    internal static async Task<RayClusterActivity> ReadRayActivityAsync(KubeConnection connection, string ns, string clusterName, CancellationToken ct)
    {
        var answer = await new RayHttpClient(connection, ns, clusterName).TryGetAsync(NodeHealthOperations.NodeSummaryPath, RayStateTimeout, ct).ConfigureAwait(false);
        var nodes = RayNodesResult.Read(answer, summaryView: true);
        return nodes.Known ? RayClusterActivity.Known(nodes.Nodes) : RayClusterActivity.Unknown(nodes.Problem ?? "no answer");
    }

    /// <summary>
    /// The group's live worker pods (one LIST by ray.io/cluster and ray.io/group; the head and pods of a Deployment
    /// group that shares the labels are not the RayCluster group's).
    /// </summary>
    internal static async Task<IReadOnlyList<RayPodFacts>> ListGroupPodsAsync(KubeConnection connection, string ns, string clusterName, string groupName, CancellationToken ct)
    {
        var list = await connection.Api.GetAsync(WithSelector(PodsPath(ns), GroupSelector(clusterName, groupName)), ct,
            $"pods of worker group '{groupName}'").ConfigureAwait(false);
        return RayPodFacts.ListFromJson(list).Where(p => !p.OwnedByReplicaSet && p.NodeType != KubeRayNames.HeadNodeType).ToList();
    }

    /// <summary>Names of the group's live (not terminating) worker pods; for completion.</summary>
    public static async Task<IReadOnlyList<string>> ListGroupPodNamesAsync(KubeConnection connection, string ns, string clusterName, string groupName, CancellationToken ct) =>
        (await ListGroupPodsAsync(connection, ns, clusterName, groupName, ct).ConfigureAwait(false)).Where(p => !p.Terminating).Select(p => p.Name).ToList();

    /// <summary>
    /// The pods a scale-down of <paramref name="before"/> to <paramref name="replicas"/> names in workersToDelete: the
    /// user's choice first (each must be a pod of the group), then, for the rest of the reduction, not-ready pods, idle
    /// Ray nodes, then the newest (<see cref="WorkerGroupPatches.SelectWorkersToDelete"/>). Ray's state is read only when
    /// the choice is ours; when it cannot be read, <paramref name="warn"/> says so and the choice falls back to
    /// not-ready and newest.
    /// </summary>
    internal static async Task<IReadOnlyList<string>> ChooseWorkersToDeleteAsync(KubeConnection connection, WorkerGroupScaleRequest request,
        RayWorkerGroup before, int replicas, IReadOnlyList<RayPodFacts> pods, bool warnAboutRay, Action<string>? warn, CancellationToken ct)
    {
        var chosen = new List<string>();
        if (request.WorkersToDelete is { Count: > 0 } named)
        {
            var byName = pods.Where(p => !p.Terminating).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var strangers = named.Where(n => !byName.Contains(n)).Distinct(StringComparer.Ordinal).ToList();
            if (strangers.Count > 0)
            {
                var known = byName.Count == 0 ? "it has no live worker pods" : "its live worker pods are " + string.Join(", ", byName.Order(StringComparer.Ordinal).Take(20)) + (byName.Count > 20 ? ", ..." : "");
                throw new RayPSException(ErrorIds.WorkerNotInGroup, RayErrorCategory.InvalidArgument,
                    $"-WorkersToDelete names {string.Join(", ", strangers.Select(s => $"'{Shorten(s)}'"))}, which {(strangers.Count == 1 ? "is" : "are")} not a live worker pod of group " +
                    $"'{before.GroupName}' of RayCluster '{before.ClusterName}' (namespace '{before.Namespace}', context '{connection.ContextName}'): {known}. Nothing was changed. " +
                    $"List them with Get-RayWorkerGroup {before.ClusterName} -Name {before.GroupName} | Select-Object -ExpandProperty Pods.",
                    strangers[0]);
            }
            chosen.AddRange(named.Distinct(StringComparer.Ordinal).Where(n => !before.WorkersToDelete.Contains(n)));
        }

        var target = replicas * Math.Max(1, before.NumOfHosts);
        var alreadyGoing = before.WorkersToDelete.Concat(chosen).ToList();
        var stillLive = pods.Count(p => !p.Terminating && !alreadyGoing.Contains(p.Name));
        if (stillLive <= target)
        {
            return chosen;
        }
        var activity = await ReadRayActivityAsync(connection, before.Namespace, before.ClusterName, ct).ConfigureAwait(false);
        if (activity.Problem is { } problem && warnAboutRay)
        {
            warn?.Invoke($"Could not read which Ray nodes of '{before.ClusterName}' are idle ({problem}); choosing the pods to remove from group " +
                $"'{before.GroupName}' by readiness and age only, so a busy node may go. Name them yourself with -WorkersToDelete to be sure.");
        }
        chosen.AddRange(WorkerGroupPatches.SelectWorkersToDelete(pods, alreadyGoing, target, activity.Of));
        return chosen;
    }

    /// <summary>
    /// Waits until none of <paramref name="names"/> exists any more (one LIST of the group's pods per poll), then takes
    /// them out of the group's workersToDelete with one guarded patch (a GET and a PATCH; re-read and sent again when a
    /// concurrent change failed its test). KubeRay never clears the list, and a stale name would make it delete a later
    /// pod that happens to get that name. WorkerGroupNotReady when the pods are still there after <paramref name="timeout"/>.
    /// </summary>
    public static async Task WaitWorkersGoneAndClearAsync(KubeConnection connection, RayWorkerGroup group, IReadOnlyCollection<string> names,
        TimeSpan timeout, Action<int>? progress, CancellationToken ct, TimeSpan? pollInterval = null)
    {
        if (names.Count == 0)
        {
            return;
        }
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(500);
        var started = DateTime.UtcNow;
        while (true)
        {
            var list = await connection.Api.GetAsync(WithSelector(PodsPath(group.Namespace), GroupSelector(group.ClusterName, group.GroupName)), ct,
                $"pods of worker group '{group.GroupName}'").ConfigureAwait(false);
            var left = RayPodFacts.ListFromJson(list).Count(p => names.Contains(p.Name));
            progress?.Invoke(left);
            if (left == 0)
            {
                break;
            }
            if (DateTime.UtcNow - started >= timeout)
            {
                throw new RayPSException(ErrorIds.WorkerGroupNotReady, RayErrorCategory.OperationTimeout,
                    $"{left} of the {names.Count} pods named in workersToDelete of worker group '{group.GroupName}' (RayCluster '{group.ClusterName}', namespace " +
                    $"'{group.Namespace}', context '{connection.ContextName}') still exist after {timeout.TotalSeconds:0.#} s. The scale itself was made; KubeRay deletes them " +
                    $"when it next reconciles (is the operator running? Get-KubeRayOperator). Wait longer with -TimeoutSec.", group.GroupName);
            }
            await Task.Delay(interval, ct).ConfigureAwait(false);
        }

        for (var attempt = 1; ; attempt++)
        {
            var cluster = await RayClusterOperations.GetAsync(connection, group.Namespace, group.ClusterName, ct).ConfigureAwait(false);
            var index = IndexOf(cluster, group.GroupName);
            if (index < 0)
            {
                return;
            }
            var current = RayWorkerGroup.FromRayCluster(cluster, index, Array.Empty<RayPodFacts>());
            var patch = WorkerGroupPatches.ClearWorkersToDelete(index, current.Raw, names);
            if (patch is null)
            {
                return;
            }
            try
            {
                await connection.Api.Raw.PatchAsync(RayClusterOperations.ItemPath(group.Namespace, group.ClusterName), patch, KubeApi.JsonPatch, ct,
                    $"worker group '{group.GroupName}' of RayCluster '{group.ClusterName}'").ConfigureAwait(false);
                return;
            }
            catch (KubeApiException ex) when (ex.IsFailedTest && attempt < 8)
            {
                await Task.Delay(RetryDelay(attempt), ct).ConfigureAwait(false);
            }
            catch (KubeApiException ex)
            {
                throw ex.ToRayPSException();
            }
        }
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "..." : text;
}
