using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;

namespace RayPS.Operations;

public static partial class WorkerGroupOperations
{
    /// <summary>
    /// Sets a group's replicas with exactly one write that cannot lose a concurrent update.
    /// RayCluster group: GET the RayCluster (index, bounds, autoscaling), then ONE JSON patch that tests the group's
    /// name at that index and the bounds it was checked against before setting replicas; a failed test (422) means
    /// the group moved or its bounds changed, so it is read and tried again, at most <see cref="WorkerGroupScaleRequest.MaxAttempts"/> times.
    /// Deployment group: a merge patch of the Deployment's scale subresource (the replica count is its whole body);
    /// a 409 from a racing write is sent again, since the patch has no precondition and was not applied.
    /// Requests: RayCluster group 2 (GET + PATCH). Deployment group by name 2 (GET RayCluster + a JSON patch of the Deployment
    /// New-RayWorkerDeployment names &lt;cluster&gt;-&lt;group&gt;, testing its labels), 1 with -Kind Deployment; a Deployment with
    /// another name costs one LIST more. 1 PATCH of either kind for a group piped from Get-RayWorkerGroup
    /// (<see cref="WorkerGroupScaleRequest.KnownGroup"/>), plus a GET and a PATCH again if the RayCluster changed since.
    /// An autoscaled group scaled down adds one LIST of its pods (to name workersToDelete); <see cref="WorkerGroupScaleRequest.IncludePodCounts"/> adds one for a RayCluster group.
    /// </summary>
    public static async Task<WorkerGroupScaleResult> ScaleAsync(KubeConnection connection, WorkerGroupScaleRequest request, Action<string>? warn, CancellationToken ct)
    {
        CheckScaleRequest(request);
        var known = KnownGroupFor(request);
        if (request.Kind == WorkerGroupKind.Deployment || known?.Kind == WorkerGroupKind.Deployment)
        {
            return await ScaleDeploymentAsync(connection, request, known?.Raw, ct).ConfigureAwait(false);
        }

        for (var attempt = 1; ; attempt++)
        {
            if (attempt == 1 && known is not null)
            {
                var fast = await TryScaleRayClusterGroupAsync(connection, request, known, attempt, warn, ct).ConfigureAwait(false);
                if (fast is not null)
                {
                    return fast;
                }
                continue;
            }

            RayCluster? cluster;
            RayPSException? missing = null;
            if (request.Kind == WorkerGroupKind.RayCluster)
            {
                cluster = await RayClusterOperations.GetAsync(connection, request.Namespace, request.ClusterName, ct).ConfigureAwait(false);
            }
            else
            {
                (cluster, missing) = await TryGetClusterAsync(connection, request.Namespace, request.ClusterName, ct).ConfigureAwait(false);
            }

            var index = cluster is null ? -1 : IndexOf(cluster, request.GroupName);
            if (index < 0 && request.Kind is null && await TryScaleDefaultNamedDeploymentAsync(connection, request, ct).ConfigureAwait(false) is { } byName)
            {
                return byName;
            }
            if (index < 0)
            {
                var deployments = await ListDeploymentsAsync(connection, request.Namespace, request.ClusterName, ct).ConfigureAwait(false);
                var deployment = deployments.FirstOrDefault(d => d.Map("metadata.labels").GetValueOrDefault(KubeRayNames.GroupLabel) == request.GroupName);
                if (deployment is not null && request.Kind is null)
                {
                    return await ScaleDeploymentAsync(connection, request, deployment, ct).ConfigureAwait(false);
                }
                if (cluster is null && deployments.Count == 0)
                {
                    throw missing!;
                }
                throw GroupNotFound(connection, request.Namespace, request.ClusterName, request.GroupName,
                    Listing(connection, cluster, missing, deployments, Array.Empty<RayPodFacts>()).Groups);
            }

            var result = await TryScaleRayClusterGroupAsync(connection, request, RayWorkerGroup.FromRayCluster(cluster!, index, Array.Empty<RayPodFacts>()),
                attempt, warn, ct).ConfigureAwait(false);
            if (result is not null)
            {
                return result;
            }
            if (attempt >= request.MaxAttempts)
            {
                throw new RayPSException(ErrorIds.ScaleConflict, RayErrorCategory.ResourceUnavailable,
                    $"Worker group '{request.GroupName}' of RayCluster '{request.ClusterName}' (namespace '{request.Namespace}', context '{connection.ContextName}') " +
                    $"changed between read and write on each of {attempt} attempts: other clients keep moving groups or their bounds. Nothing was changed; run the command again.",
                    request.GroupName);
            }
            await Task.Delay(RetryDelay(attempt), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Checks a request before anything is sent: something to change, counts and bounds that make sense.</summary>
    private static void CheckScaleRequest(WorkerGroupScaleRequest request)
    {
        if (request.Replicas is null && request.MinReplicas is null && request.MaxReplicas is null && request.WorkersToDelete is not { Count: > 0 })
        {
            throw new RayPSException(ErrorIds.ScaleTargetMissing, RayErrorCategory.InvalidArgument,
                $"Nothing to change for worker group '{request.GroupName}': give -Replicas, -MinReplicas, -MaxReplicas or -WorkersToDelete.", request.GroupName);
        }
        foreach (var (name, value) in new[] { ("Replicas", request.Replicas), ("MinReplicas", request.MinReplicas), ("MaxReplicas", request.MaxReplicas) })
        {
            if (value < 0)
            {
                throw new RayPSException(ErrorIds.ReplicasOutOfRange, RayErrorCategory.InvalidArgument,
                    $"{name} must be 0 or more; {value} was given for worker group '{request.GroupName}'.", value);
            }
        }
        if (request.MinReplicas is { } min && request.MaxReplicas is { } max && min > max)
        {
            throw new RayPSException(ErrorIds.ReplicasOutOfRange, RayErrorCategory.InvalidArgument,
                $"-MinReplicas {min} is above -MaxReplicas {max} for worker group '{request.GroupName}'. Nothing was changed.", min);
        }
        if (request.Kind == WorkerGroupKind.Deployment || request.KnownGroup?.Kind == WorkerGroupKind.Deployment)
        {
            CheckDeploymentRequest(request);
        }
    }

    /// <summary>A Deployment has no bounds and no workersToDelete: Kubernetes picks the pods a scale-down removes.</summary>
    private static void CheckDeploymentRequest(WorkerGroupScaleRequest request)
    {
        var unsupported = new List<string>();
        if (request.MinReplicas is not null) unsupported.Add("-MinReplicas");
        if (request.MaxReplicas is not null) unsupported.Add("-MaxReplicas");
        if (request.WorkersToDelete is { Count: > 0 }) unsupported.Add("-WorkersToDelete");
        if (unsupported.Count > 0 || request.Replicas is null)
        {
            throw new RayPSException(ErrorIds.NotSupportedForDeploymentGroup, RayErrorCategory.InvalidArgument,
                $"Worker group '{request.GroupName}' of '{request.ClusterName}' is a Deployment: it has only a replica count (no bounds, no workersToDelete; " +
                $"Kubernetes chooses which pods a scale-down removes). {(unsupported.Count > 0 ? string.Join(", ", unsupported) + " cannot be used; " : "")}give -Replicas only. Nothing was changed.",
                request.GroupName);
        }
    }

    /// <summary>One patch attempt on a RayCluster group; null when its test failed (the caller re-reads).</summary>
    private static async Task<WorkerGroupScaleResult?> TryScaleRayClusterGroupAsync(KubeConnection connection, WorkerGroupScaleRequest request,
        RayWorkerGroup before, int attempt, Action<string>? warn, CancellationToken ct)
    {
        var index = before.Index;
        var wantMin = request.MinReplicas ?? before.MinReplicas;
        var wantMax = request.MaxReplicas ?? before.MaxReplicas;
        if (wantMin > wantMax)
        {
            throw new RayPSException(ErrorIds.ReplicasOutOfRange, RayErrorCategory.InvalidArgument,
                $"Worker group '{before.GroupName}' of RayCluster '{before.ClusterName}' would have minReplicas {wantMin} above maxReplicas {wantMax}. " +
                $"Give both -MinReplicas and -MaxReplicas. Nothing was changed.", wantMin);
        }
        var replicas = request.Replicas ?? Math.Clamp(before.Replicas, wantMin, wantMax);
        int? newMin = request.MinReplicas, newMax = request.MaxReplicas;
        if (request.Replicas is { } asked && (asked < wantMin || asked > wantMax))
        {
            if (!request.AdjustBounds)
            {
                throw new RayPSException(ErrorIds.ReplicasOutOfRange, RayErrorCategory.InvalidArgument,
                    $"{asked} replicas is outside the bounds of worker group '{before.GroupName}' of RayCluster '{before.ClusterName}': " +
                    $"minReplicas {wantMin}, maxReplicas {wantMax}. Choose a value from {wantMin} to {wantMax}, or add -AdjustBounds to move the bound in the same change.",
                    asked);
            }
            newMin = Math.Min(wantMin, asked);
            newMax = Math.Max(wantMax, asked);
        }
        if (request.Replicas is null && replicas != before.Replicas && attempt == 1)
        {
            warn?.Invoke($"Worker group '{before.GroupName}' had {before.Replicas} replicas, outside the new bounds {wantMin}..{wantMax}: set to {replicas} in the same change.");
        }

        if (before.AutoscalingEnabled && request.Replicas is not null)
        {
            if (!request.Force)
            {
                throw new RayPSException(ErrorIds.AutoscalerOwnsReplicas, RayErrorCategory.InvalidOperation,
                    $"RayCluster '{before.ClusterName}' has the Ray autoscaler on (spec.enableInTreeAutoscaling): it owns the replicas of worker group '{before.GroupName}' " +
                    $"and will change them again. Nothing was changed. Change the group's bounds instead (-MinReplicas/-MaxReplicas; now {before.MinReplicas}..{before.MaxReplicas}), " +
                    $"or add -Force to set {replicas} anyway.",
                    before.GroupName);
            }
            if (attempt == 1)
            {
                warn?.Invoke($"The Ray autoscaler owns the replicas of worker group '{before.GroupName}' (RayCluster '{before.ClusterName}'); it may change {replicas} again as load changes.");
            }
        }

        IReadOnlyList<RayPodFacts>? pods = null;
        IReadOnlyList<string> toDelete = Array.Empty<string>();
        if (replicas < before.Replicas || request.WorkersToDelete is { Count: > 0 })
        {
            // Scaling down: name the pods to remove, as the Ray autoscaler does, so KubeRay does not pick busy ones.
            pods = await ListGroupPodsAsync(connection, request.Namespace, request.ClusterName, request.GroupName, ct).ConfigureAwait(false);
            toDelete = await ChooseWorkersToDeleteAsync(connection, request, before, replicas, pods, attempt == 1, warn, ct).ConfigureAwait(false);
        }

        // A group read earlier (pipeline input) pins the whole spec by its generation, since its autoscaling flag and
        // neighbours may have changed since; a group read just now pins only what the patch depends on.
        var pinGeneration = request.KnownGroup is not null && attempt == 1;
        var generation = before.ClusterGeneration > 0 ? before.ClusterGeneration : (long?)null;
        var livePods = pods?.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var patch = WorkerGroupPatches.Scale(index, before.Raw, replicas, newMin, newMax, toDelete, generation, pinGeneration, livePods);
        JsonObject patched;
        try
        {
            patched = await connection.Api.Raw.PatchAsync(RayClusterOperations.ItemPath(request.Namespace, request.ClusterName), patch, KubeApi.JsonPatch, ct,
                $"worker group '{request.GroupName}' of RayCluster '{request.ClusterName}'").ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex.IsFailedTest)
        {
            return null;
        }
        catch (KubeApiException ex)
        {
            throw RayClusterOperations.Map(connection, request.Namespace, request.ClusterName, ex);
        }

        if (request.IncludePodCounts && pods is null)
        {
            var list = await connection.Api.GetAsync(WithSelector(PodsPath(request.Namespace), GroupSelector(request.ClusterName, request.GroupName)), ct,
                $"pods of worker group '{request.GroupName}'").ConfigureAwait(false);
            pods = RayPodFacts.ListFromJson(list);
        }
        var after = RayCluster.FromJson(patched, connection.ContextName);
        return new WorkerGroupScaleResult
        {
            Group = RayWorkerGroup.FromRayCluster(after, index, pods ?? Array.Empty<RayPodFacts>()),
            PreviousReplicas = before.Replicas,
            WorkersToDelete = toDelete,
            BoundsAdjusted = (newMin is { } m && m != before.MinReplicas) || (newMax is { } x && x != before.MaxReplicas),
            Attempts = attempt,
        };
    }

    /// <summary>The piped group, when it is the group this request names and carries what a write needs.</summary>
    private static RayWorkerGroup? KnownGroupFor(WorkerGroupScaleRequest request) =>
        request.KnownGroup is { } g
        && g.ClusterName == request.ClusterName && g.GroupName == request.GroupName && g.Namespace == request.Namespace
        && (request.Kind is null || request.Kind == g.Kind)
        && (g.Kind == WorkerGroupKind.Deployment ? g.DeploymentName is not null : g.Index >= 0 && g.ClusterGeneration > 0)
            ? g
            : null;

    /// <summary>PATCH deployments/NAME/scale with {spec:{replicas:n}}; LISTs the cluster's Deployments first when not given one.</summary>
    private static async Task<WorkerGroupScaleResult> ScaleDeploymentAsync(KubeConnection connection, WorkerGroupScaleRequest request, JsonObject? deployment, CancellationToken ct)
    {
        CheckDeploymentRequest(request);
        var replicas = request.Replicas!.Value;
        if (deployment is null && await TryScaleDefaultNamedDeploymentAsync(connection, request, ct).ConfigureAwait(false) is { } byName)
        {
            return byName;
        }
        if (deployment is null)
        {
            var deployments = await ListDeploymentsAsync(connection, request.Namespace, request.ClusterName, ct).ConfigureAwait(false);
            deployment = deployments.FirstOrDefault(d => d.Map("metadata.labels").GetValueOrDefault(KubeRayNames.GroupLabel) == request.GroupName);
            if (deployment is null)
            {
                throw await DeploymentGroupNotFoundAsync(connection, request, deployments, null, ct).ConfigureAwait(false);
            }
        }

        var name = deployment.Str("metadata.name")!;
        JsonObject scale;
        var attempt = 1;
        while (true)
        {
            try
            {
                scale = await connection.Api.Raw.PatchAsync(DeploymentScalePath(request.Namespace, name),
                    new JsonObject { ["spec"] = new JsonObject { ["replicas"] = replicas } }, KubeApi.MergePatch, ct, $"Deployment '{name}'").ConfigureAwait(false);
                break;
            }
            catch (KubeApiException ex) when (ex.IsNotFound)
            {
                throw await DeploymentGroupNotFoundAsync(connection, request, Array.Empty<JsonObject>(), ex, ct).ConfigureAwait(false);
            }
            catch (KubeApiException ex) when (ex.IsConflict && attempt < request.MaxAttempts)
            {
                // The scale subresource carries the Deployment's resourceVersion, so a write that raced another is
                // refused (409) rather than applied. The patch sets only the count and has no precondition of its
                // own: sending it again is exactly the same intent.
                attempt++;
                await Task.Delay(RetryDelay(attempt), ct).ConfigureAwait(false);
            }
            catch (KubeApiException ex) when (ex.IsConflict)
            {
                throw new RayPSException(ErrorIds.ScaleConflict, RayErrorCategory.ResourceUnavailable,
                    $"Deployment '{name}' (worker group '{request.GroupName}', namespace '{request.Namespace}', context '{connection.ContextName}') was changed by others " +
                    $"during each of {attempt} attempts to scale it. Nothing was changed; run the command again.", request.GroupName, ex);
            }
            catch (KubeApiException ex)
            {
                throw ex.ToRayPSException();
            }
        }

        // A scale only changes spec.replicas: the Deployment as read, with the Scale's answer, is the group after the write.
        var updated = deployment.DeepClone().AsObject();
        if (updated["spec"] is JsonObject spec)
        {
            spec["replicas"] = scale["spec"]?["replicas"]?.DeepClone() ?? JsonNode.Parse(replicas.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (updated["metadata"] is JsonObject metadata && scale["metadata"]?["resourceVersion"] is { } rv)
        {
            metadata["resourceVersion"] = rv.DeepClone();
        }
        return new WorkerGroupScaleResult
        {
            Group = RayWorkerGroup.FromDeployment(updated, null, connection.ContextName),
            PreviousReplicas = deployment.Int("spec.replicas") ?? 1,
            Attempts = attempt,
        };
    }

    /// <summary>
    /// Scales the Deployment New-RayWorkerDeployment would have named &lt;cluster&gt;-&lt;group&gt; with one JSON patch that
    /// first tests its ray.io/cluster and ray.io/group labels, so it can only change that group's Deployment; null when there
    /// is no such Deployment or it belongs to something else (the caller then LISTs the cluster's Deployments).
    /// </summary>
    private static async Task<WorkerGroupScaleResult?> TryScaleDefaultNamedDeploymentAsync(KubeConnection connection, WorkerGroupScaleRequest request, CancellationToken ct)
    {
        if (request.Replicas is null || request.MinReplicas is not null || request.MaxReplicas is not null || request.WorkersToDelete is { Count: > 0 })
        {
            // Only a replica count applies to a Deployment; anything else means the RayCluster group of that name.
            return null;
        }
        var name = Manifests.WorkerDeploymentOptions.DefaultDeploymentName(request.ClusterName, request.GroupName);
        var patch = WorkerGroupPatches.ScaleDeployment(request.ClusterName, request.GroupName, request.Replicas.Value);
        JsonObject patched;
        try
        {
            // The server applies the tests to the Deployment as it is at that moment: no read of ours can be stale.
            patched = await connection.Api.Raw.PatchAsync(DeploymentPath(request.Namespace, name), patch, KubeApi.JsonPatch, ct, $"Deployment '{name}'").ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex.IsNotFound || ex.IsInvalid)
        {
            return null;
        }
        catch (KubeApiException ex)
        {
            throw ex.ToRayPSException();
        }
        return new WorkerGroupScaleResult
        {
            Group = RayWorkerGroup.FromDeployment(patched, null, connection.ContextName),
            PreviousReplicas = null,
            Attempts = 1,
        };
    }

    /// <summary>WorkerGroupNotFound for a Deployment group, listing the groups of both kinds (an extra read, on the failure path only).</summary>
    private static async Task<RayPSException> DeploymentGroupNotFoundAsync(KubeConnection connection, WorkerGroupScaleRequest request,
        IReadOnlyList<JsonObject> deployments, Exception? inner, CancellationToken ct)
    {
        var (cluster, missing) = await TryGetClusterAsync(connection, request.Namespace, request.ClusterName, ct).ConfigureAwait(false);
        if (cluster is null && deployments.Count == 0)
        {
            return missing!;
        }
        return GroupNotFound(connection, request.Namespace, request.ClusterName, request.GroupName,
            Listing(connection, cluster, missing, deployments, Array.Empty<RayPodFacts>()).Groups, inner);
    }
}
