using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;

namespace RayPS.Operations;

public static partial class WorkerGroupOperations
{
    /// <summary>
    /// True when the group has settled: as many live pods as desired, all of them ready (a Deployment also has
    /// observed its latest spec).
    /// </summary>
    public static bool IsSettled(RayWorkerGroup group)
    {
        if (group.Kind == WorkerGroupKind.Deployment)
        {
            var generation = group.Raw.Int("metadata.generation") ?? 0;
            var observed = group.Raw.Int("status.observedGeneration") ?? generation;
            var updated = group.Raw.Int("status.updatedReplicas") ?? group.DesiredWorkers;
            return observed >= generation && group.CurrentWorkers == group.DesiredWorkers && group.ReadyWorkers == group.DesiredWorkers && updated == group.DesiredWorkers;
        }
        return group.CurrentWorkers == group.DesiredWorkers && group.ReadyWorkers == group.DesiredWorkers;
    }

    /// <summary>
    /// Polls the group (<see cref="RefreshAsync"/>: 2 reads per poll for a RayCluster group, 1 for a Deployment) until it
    /// has settled, reporting each reading to <paramref name="progress"/>. WorkerGroupNotReady after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<RayWorkerGroup> WaitSettledAsync(KubeConnection connection, RayWorkerGroup group, TimeSpan timeout,
        Action<RayWorkerGroup>? progress, CancellationToken ct, TimeSpan? pollInterval = null)
    {
        var interval = pollInterval ?? TimeSpan.FromSeconds(1);
        var started = DateTime.UtcNow;
        var current = group;
        while (true)
        {
            current = await RefreshAsync(connection, current, ct).ConfigureAwait(false);
            progress?.Invoke(current);
            if (IsSettled(current))
            {
                return current;
            }
            if (DateTime.UtcNow - started >= timeout)
            {
                throw await NotSettledAsync(connection, current, timeout, ct).ConfigureAwait(false);
            }
            var left = timeout - (DateTime.UtcNow - started);
            await Task.Delay(left < interval ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : interval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>WorkerGroupNotReady, saying from the group's pods (one more LIST) what holds them back.</summary>
    private static async Task<RayPSException> NotSettledAsync(KubeConnection connection, RayWorkerGroup group, TimeSpan timeout, CancellationToken ct)
    {
        var selector = group.Kind == WorkerGroupKind.Deployment
            ? string.Join(",", group.Raw.Map("spec.selector.matchLabels").Select(kv => $"{kv.Key}={kv.Value}"))
            : GroupSelector(group.ClusterName, group.GroupName);
        var reasons = Array.Empty<string>() as IReadOnlyList<string>;
        try
        {
            var pods = await connection.Api.GetAsync(WithSelector(PodsPath(group.Namespace), selector), ct, $"pods of worker group '{group.GroupName}'").ConfigureAwait(false);
            reasons = PodDiagnostics.Explain(pods.Items("items").OfType<System.Text.Json.Nodes.JsonObject>()
                .Where(p => group.Kind == WorkerGroupKind.Deployment || !RayPodFacts.FromJson(p).OwnedByReplicaSet));
        }
        catch (RayPSException)
        {
            // The diagnosis is a courtesy; the timeout is the error.
        }
        var what = group.Kind == WorkerGroupKind.Deployment ? $"Deployment '{group.DeploymentName}'" : $"RayCluster '{group.ClusterName}'";
        var why = reasons.Count > 0 ? " " + string.Join("; ", reasons.Take(5)) + (reasons.Count > 5 ? $"; and {reasons.Count - 5} more" : "") + "." : "";
        return new RayPSException(ErrorIds.WorkerGroupNotReady, RayErrorCategory.OperationTimeout,
            $"Worker group '{group.GroupName}' of {what} (namespace '{group.Namespace}', context '{connection.ContextName}') did not settle within {timeout.TotalSeconds:0.#} s: " +
            $"{group.ReadyWorkers} of {group.DesiredWorkers} pods ready, {group.CurrentWorkers} exist. The change itself was made.{why} " +
            $"Check the pods (kubectl get pods -n {group.Namespace} -l {selector}) or wait longer with -TimeoutSec.",
            group.GroupName);
    }
}
