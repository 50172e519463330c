using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;

namespace RayPS.Operations;

/// <summary>What Remove-RayWorkerGroup asks for.</summary>
public sealed class WorkerGroupRemovalRequest
{
    public required string Namespace { get; init; }
    public required string ClusterName { get; init; }
    public required string GroupName { get; init; }

    /// <summary>The group's kind when known (pipeline input).</summary>
    public WorkerGroupKind? Kind { get; init; }

    /// <summary>Delete the group's pods by name instead of waiting for KubeRay to drain them.</summary>
    public bool Force { get; init; }

    /// <summary>How long the pods may take to go (and a Deployment to be deleted).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Pods still there, reported while waiting.</summary>
    public Action<string, int>? Progress { get; init; }
}

public static partial class WorkerGroupOperations
{
    /// <summary>
    /// Removes a worker group without orphaning a pod or touching another group.
    /// RayCluster group: ONE tested JSON patch sets replicas, minReplicas and maxReplicas to 0 (so neither KubeRay nor the
    /// autoscaler starts a pod again) and names every pod of the group in workersToDelete; then waits until they are gone
    /// (-Force deletes them by name at once); then ONE patch that tests the group's name at its index removes the entry.
    /// A concurrent change that moved the groups fails a test, and the step is read and sent again. KubeRay itself would
    /// leave the pods of a group removed from the spec running (kuberay#1739).
    /// Deployment group: DELETE the Deployment with foreground propagation, then wait until it (and so its pods) is gone.
    /// Returns the group as it was before.
    /// </summary>
    public static async Task<RayWorkerGroup> RemoveAsync(KubeConnection connection, WorkerGroupRemovalRequest request, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        TimeSpan Left() => request.Timeout - (DateTime.UtcNow - started);

        var (cluster, missing) = request.Kind == WorkerGroupKind.Deployment
            ? (null, null)
            : await TryGetClusterAsync(connection, request.Namespace, request.ClusterName, ct).ConfigureAwait(false);
        var index = cluster is null ? -1 : IndexOf(cluster, request.GroupName);
        if (index < 0 || request.Kind == WorkerGroupKind.Deployment)
        {
            var deployments = await ListDeploymentsAsync(connection, request.Namespace, request.ClusterName, ct).ConfigureAwait(false);
            var deployment = deployments.FirstOrDefault(d => d.Map("metadata.labels").GetValueOrDefault(KubeRayNames.GroupLabel) == request.GroupName);
            if (deployment is not null && request.Kind != WorkerGroupKind.RayCluster)
            {
                return await RemoveDeploymentGroupAsync(connection, request, deployment, Left, ct).ConfigureAwait(false);
            }
            if (cluster is null && deployments.Count == 0 && missing is not null)
            {
                throw missing;
            }
            throw GroupNotFound(connection, request.Namespace, request.ClusterName, request.GroupName,
                Listing(connection, cluster, missing, deployments, Array.Empty<RayPodFacts>()).Groups);
        }

        // 1. Drain: replicas and bounds to 0, every pod named.
        var before = RayWorkerGroup.FromRayCluster(cluster!, index, Array.Empty<RayPodFacts>());
        IReadOnlyList<RayPodFacts> pods = Array.Empty<RayPodFacts>();
        var drained = await PatchGroupUntilAppliedAsync(connection, request, cluster!, async (current, at) =>
        {
            var group = RayWorkerGroup.FromRayCluster(current, at, Array.Empty<RayPodFacts>());
            pods = await ListGroupPodsAsync(connection, request.Namespace, request.ClusterName, request.GroupName, ct).ConfigureAwait(false);
            var names = pods.Where(p => !p.Terminating).Select(p => p.Name).ToList();
            return WorkerGroupPatches.Scale(at, group.Raw, 0, 0, 0, names, group.ClusterGeneration > 0 ? group.ClusterGeneration : null,
                livePods: pods.Select(p => p.Name).ToHashSet(StringComparer.Ordinal));
        }, ct).ConfigureAwait(false);
        if (!drained)
        {
            return before;
        }

        // 2. The pods go: KubeRay deletes those named in workersToDelete; -Force deletes them now.
        if (request.Force)
        {
            foreach (var pod in pods.Where(p => !p.Terminating))
            {
                try
                {
                    await connection.Api.Raw.DeleteAsync($"{PodsPath(request.Namespace)}/{Uri.EscapeDataString(pod.Name)}", ct, $"pod '{pod.Name}'").ConfigureAwait(false);
                }
                catch (KubeApiException ex) when (ex.IsNotFound)
                {
                    // Gone already.
                }
                catch (KubeApiException ex)
                {
                    throw ex.ToRayPSException();
                }
            }
        }
        else
        {
            await WaitGroupPodsGoneAsync(connection, request, before, Left, ct).ConfigureAwait(false);
        }

        // 3. Remove the entry, testing it is still ours at that index (read again: other groups may have moved it).
        var latest = await RayClusterOperations.GetAsync(connection, request.Namespace, request.ClusterName, ct).ConfigureAwait(false);
        await PatchGroupUntilAppliedAsync(connection, request, latest,
            (_, at) => Task.FromResult(WorkerGroupPatches.RemoveGroup(at, request.GroupName)), ct).ConfigureAwait(false);
        return before;
    }

    /// <summary>
    /// Sends the patch <paramref name="build"/> makes for the group's current index; when a concurrent change fails its
    /// test, reads the cluster again and retries (ScaleConflict after 8 attempts). False when the group is gone meanwhile.
    /// </summary>
    private static async Task<bool> PatchGroupUntilAppliedAsync(KubeConnection connection, WorkerGroupRemovalRequest request, RayCluster cluster,
        Func<RayCluster, int, Task<JsonArray>> build, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var index = IndexOf(cluster, request.GroupName);
            if (index < 0)
            {
                return false;
            }
            var patch = await build(cluster, index).ConfigureAwait(false);
            try
            {
                await connection.Api.Raw.PatchAsync(RayClusterOperations.ItemPath(request.Namespace, request.ClusterName), patch, KubeApi.JsonPatch, ct,
                    $"worker group '{request.GroupName}' of RayCluster '{request.ClusterName}'").ConfigureAwait(false);
                return true;
            }
            catch (KubeApiException ex) when (ex.IsFailedTest)
            {
                if (attempt >= 8)
                {
                    throw Conflict(connection, request, attempt, ex);
                }
            }
            catch (KubeApiException ex)
            {
                throw ex.ToRayPSException();
            }
            await Task.Delay(RetryDelay(attempt), ct).ConfigureAwait(false);
            cluster = await RayClusterOperations.GetAsync(connection, request.Namespace, request.ClusterName, ct).ConfigureAwait(false);
        }
    }

    private static async Task WaitGroupPodsGoneAsync(KubeConnection connection, WorkerGroupRemovalRequest request, RayWorkerGroup group,
        Func<TimeSpan> left, CancellationToken ct)
    {
        while (true)
        {
            var pods = await ListGroupPodsAsync(connection, request.Namespace, request.ClusterName, request.GroupName, ct).ConfigureAwait(false);
            request.Progress?.Invoke($"Draining worker group '{request.GroupName}'", pods.Count);
            if (pods.Count == 0)
            {
                return;
            }
            if (left() <= TimeSpan.Zero)
            {
                throw new RayPSException(ErrorIds.WorkerGroupRemovalTimeout, RayErrorCategory.OperationTimeout,
                    $"Worker group '{request.GroupName}' of RayCluster '{request.ClusterName}' (namespace '{request.Namespace}', context '{connection.ContextName}') " +
                    $"is scaled to 0 with its pods named in workersToDelete, but {pods.Count} pod(s) still exist after {request.Timeout.TotalSeconds:0.#} s " +
                    $"({string.Join(", ", pods.Take(5).Select(p => p.Name))}). The group entry was kept so no pod is orphaned. Is the KubeRay operator running " +
                    "(Get-KubeRayOperator)? Run the command again to wait longer (-TimeoutSec), or add -Force to delete the pods now.",
                    request.GroupName);
            }
            var wait = left();
            await Task.Delay(wait < TimeSpan.FromMilliseconds(500) ? wait : TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }

    private static async Task<RayWorkerGroup> RemoveDeploymentGroupAsync(KubeConnection connection, WorkerGroupRemovalRequest request, JsonObject deployment,
        Func<TimeSpan> left, CancellationToken ct)
    {
        var before = RayWorkerGroup.FromDeployment(deployment, null, connection.ContextName);
        var name = deployment.Str("metadata.name")!;
        var path = DeploymentPath(request.Namespace, name);
        try
        {
            // Foreground: the Deployment stays (with a deletionTimestamp) until its ReplicaSets and their pods are gone.
            await connection.Api.Raw.DeleteAsync(path + "?propagationPolicy=Foreground", ct, $"Deployment '{name}'").ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex.IsNotFound)
        {
            return before;
        }
        catch (KubeApiException ex)
        {
            throw ex.ToRayPSException();
        }
        if (request.Force)
        {
            return before;
        }
        while (true)
        {
            try
            {
                await connection.Api.Raw.GetAsync(path, ct, $"Deployment '{name}'").ConfigureAwait(false);
            }
            catch (KubeApiException ex) when (ex.IsNotFound)
            {
                return before;
            }
            catch (KubeApiException ex)
            {
                throw ex.ToRayPSException();
            }
            request.Progress?.Invoke($"Deleting Deployment '{name}'", -1);
            if (left() <= TimeSpan.Zero)
            {
                throw new RayPSException(ErrorIds.WorkerGroupRemovalTimeout, RayErrorCategory.OperationTimeout,
                    $"Deployment '{name}' (worker group '{request.GroupName}', namespace '{request.Namespace}', context '{connection.ContextName}') is being deleted " +
                    $"but still exists after {request.Timeout.TotalSeconds:0.#} s: its pods have not all gone yet. Wait longer with -TimeoutSec.",
                    request.GroupName);
            }
            var wait = left();
            await Task.Delay(wait < TimeSpan.FromMilliseconds(500) ? wait : TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }

    private static RayPSException Conflict(KubeConnection connection, WorkerGroupRemovalRequest request, int attempts, Exception inner) =>
        new(ErrorIds.ScaleConflict, RayErrorCategory.ResourceUnavailable,
            $"The worker groups of RayCluster '{request.ClusterName}' (namespace '{request.Namespace}', context '{connection.ContextName}') changed between read " +
            $"and write on each of {attempts} attempts while removing group '{request.GroupName}'. Run the command again.", request.GroupName, inner);
}
