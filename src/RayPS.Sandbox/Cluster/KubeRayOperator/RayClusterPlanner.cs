using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;
using static RayPS.Sandbox.Cluster.KubeRayConstants;

namespace RayPS.Sandbox.Cluster;

/// <summary>A pod the operator wants created.</summary>
internal sealed record PodToCreate(JsonObject Pod, RayNodeType Type, string Group);

/// <summary>A pod the operator wants deleted, with the event it records.</summary>
internal sealed record PodToDelete(string Name, RayNodeType Type, string Group, string EventMessage);

/// <summary>What one reconcile of a RayCluster decided (the writes are done by the caller).</summary>
internal sealed class RayClusterPlan
{
    /// <summary>Set when validation failed: the Warning event reason; nothing else is planned.</summary>
    public string? InvalidReason { get; set; }

    public string? InvalidMessage { get; set; }

    public List<JsonObject> ServicesToCreate { get; } = [];

    public List<PodToCreate> PodsToCreate { get; } = [];

    public List<PodToDelete> PodsToDelete { get; } = [];

    /// <summary>
    /// Set while the status says Suspending: <see cref="PodsToDelete"/> holds every pod not yet terminating,
    /// deleted as one collection, and each such reconcile records one DeletedPod event (as KubeRay does,
    /// even when nothing was left to delete).
    /// </summary>
    public bool DeleteAllForSuspension { get; set; }

    public bool IsEmpty => InvalidReason is null && ServicesToCreate.Count == 0 && PodsToCreate.Count == 0 && PodsToDelete.Count == 0;
}

/// <summary>
/// The decisions of KubeRay 1.4.2's RayCluster reconciler (reconcileHeadService, reconcilePods) as a
/// pure function of the RayCluster and the pods and services that exist.
/// </summary>
internal static class RayClusterPlanner
{
    /// <param name="cluster">The RayCluster.</param>
    /// <param name="pods">Pods in the cluster's namespace labelled ray.io/cluster=&lt;name&gt;.</param>
    /// <param name="services">Services in the cluster's namespace labelled ray.io/cluster=&lt;name&gt; (or the headless worker label).</param>
    /// <param name="victims">
    /// Orders the candidates of a plain scale-down: the real operator takes the first N of its cache's
    /// list, which is effectively arbitrary; null keeps name order (for unit tests of other decisions).
    /// </param>
    public static RayClusterPlan Plan(RayClusterSpec cluster, IReadOnlyList<JsonObject> pods, IReadOnlyList<JsonObject> services, Random? victims = null)
    {
        var plan = new RayClusterPlan();
        if (cluster.Deleting)
        {
            return plan;
        }
        if (RayClusterValidator.ValidateMetadata(cluster) is { } metaError)
        {
            plan.InvalidReason = InvalidRayClusterMetadata;
            plan.InvalidMessage = $"The RayCluster metadata is invalid {cluster.Namespace}/{cluster.Name}: {metaError}";
            return plan;
        }
        if (RayClusterValidator.ValidateSpec(cluster) is { } specError)
        {
            plan.InvalidReason = InvalidRayClusterSpec;
            plan.InvalidMessage = $"The RayCluster spec is invalid {cluster.Namespace}/{cluster.Name}: {specError}";
            return plan;
        }
        if (!services.Any(s => ObjectMeta.LabelMap(s).GetValueOrDefault(NodeTypeLabel) == "head"
                && ObjectMeta.LabelMap(s).GetValueOrDefault(RayClusterLabel) == cluster.Name))
        {
            plan.ServicesToCreate.Add(KubeRayBuilder.BuildHeadService(cluster));
        }
        if (cluster.Groups.Any(g => g.NumOfHosts > 1) && services.All(s => ObjectMeta.Name(s) != KubeRayBuilder.HeadlessWorkerServiceName(cluster.Name)))
        {
            plan.ServicesToCreate.Add(KubeRayBuilder.BuildHeadlessWorkerService(cluster));
        }
        // reconcilePods: a suspension is carried out once the status says Suspending (set by the reconcile
        // that first saw spec.suspend); while suspending or suspended no pod is created.
        switch (RayClusterStatusBuilder.SuspendStatus(cluster))
        {
            case RayClusterSuspending:
                plan.DeleteAllForSuspension = true;
                foreach (var pod in pods.Where(p => !PodInfo.IsTerminating(p)))
                {
                    var type = PodInfo.Label(pod, NodeTypeLabel) == "head" ? RayNodeType.Head : RayNodeType.Worker;
                    plan.PodsToDelete.Add(new PodToDelete(ObjectMeta.Name(pod), type, PodInfo.Label(pod, GroupLabel) ?? "", ""));
                }
                return plan;
            case RayClusterSuspended:
                return plan;
        }
        if (cluster.Suspend)
        {
            return plan;
        }
        PlanHead(cluster, pods, plan);
        foreach (var group in cluster.Groups)
        {
            PlanWorkers(cluster, group, pods, plan, victims);
        }
        return plan;
    }

    private static bool IsTerminal(JsonObject pod) => PodInfo.Phase(pod) is "Failed" or "Succeeded";

    private static void PlanHead(RayClusterSpec cluster, IReadOnlyList<JsonObject> pods, RayClusterPlan plan)
    {
        var heads = pods.Where(p => PodInfo.Label(p, NodeTypeLabel) == "head").ToList();
        var live = heads.Where(p => !PodInfo.IsTerminating(p)).ToList();
        foreach (var dead in live.Where(IsTerminal).ToList())
        {
            var restartPolicy = JsonNodes.StringAt(dead, "spec", "restartPolicy") ?? "Always";
            plan.PodsToDelete.Add(new PodToDelete(ObjectMeta.Name(dead), RayNodeType.Head, HeadGroupName,
                $"Deleted head Pod {cluster.Namespace}/{ObjectMeta.Name(dead)}; Pod status: {PodInfo.Phase(dead)}; Pod restart policy: {restartPolicy}; "
                + "Ray container terminated status: true"));
            live.Remove(dead);
        }
        if (live.Count == 0)
        {
            if (heads.All(p => !PodInfo.IsTerminating(p) || IsTerminal(p)) || heads.Count == 0)
            {
                plan.PodsToCreate.Add(new PodToCreate(KubeRayBuilder.BuildHeadPod(cluster), RayNodeType.Head, HeadGroupName));
            }
            return;
        }
        // More than one head: keep the oldest.
        foreach (var extra in live.OrderBy(PodInfo.CreationTime).ThenBy(ObjectMeta.Name, StringComparer.Ordinal).Skip(1))
        {
            plan.PodsToDelete.Add(new PodToDelete(ObjectMeta.Name(extra), RayNodeType.Head, HeadGroupName,
                $"Deleted head Pod {cluster.Namespace}/{ObjectMeta.Name(extra)}"));
        }
    }

    private static void PlanWorkers(RayClusterSpec cluster, WorkerGroup group, IReadOnlyList<JsonObject> pods, RayClusterPlan plan, Random? victims)
    {
        var groupPods = pods.Where(p => PodInfo.Label(p, GroupLabel) == group.GroupName && PodInfo.Label(p, NodeTypeLabel) != "head")
            .OrderBy(ObjectMeta.Name, StringComparer.Ordinal).ToList();
        if (group.Suspend)
        {
            foreach (var pod in groupPods.Where(p => !PodInfo.IsTerminating(p)))
            {
                plan.PodsToDelete.Add(new PodToDelete(ObjectMeta.Name(pod), RayNodeType.Worker, group.GroupName,
                    $"Deleted Pod {cluster.Namespace}/{ObjectMeta.Name(pod)}"));
            }
            return;
        }
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pod in groupPods.Where(p => !PodInfo.IsTerminating(p) && IsTerminal(p)))
        {
            deleted.Add(ObjectMeta.Name(pod));
            plan.PodsToDelete.Add(new PodToDelete(ObjectMeta.Name(pod), RayNodeType.Worker, group.GroupName,
                $"Deleted worker Pod {cluster.Namespace}/{ObjectMeta.Name(pod)}; Pod status: {PodInfo.Phase(pod)}"));
        }
        var byName = groupPods.ToDictionary(ObjectMeta.Name, StringComparer.Ordinal);
        foreach (var name in group.WorkersToDelete)
        {
            if (deleted.Contains(name))
            {
                continue;
            }
            deleted.Add(name);
            // Deleting a pod that no longer exists is not an error (the autoscaler's list may be stale).
            if (byName.TryGetValue(name, out var pod) && !PodInfo.IsTerminating(pod))
            {
                plan.PodsToDelete.Add(new PodToDelete(name, RayNodeType.Worker, group.GroupName, $"Deleted pod {cluster.Namespace}/{name}"));
            }
        }
        var running = groupPods.Where(p => !PodInfo.IsTerminating(p) && PodInfo.Phase(p) is "Running" or "Pending" && !deleted.Contains(ObjectMeta.Name(p))).ToList();
        var diff = group.DesiredReplicas - running.Count;
        if (diff > 0)
        {
            for (var i = 0; i < diff; i++)
            {
                plan.PodsToCreate.Add(new PodToCreate(KubeRayBuilder.BuildWorkerPod(cluster, group), RayNodeType.Worker, group.GroupName));
            }
        }
        else if (diff < 0 && !cluster.Autoscaling)
        {
            // KubeRay promises nothing about which pods go (only workersToDelete names them).
            var candidates = running.ToArray();
            victims?.Shuffle(candidates);
            foreach (var pod in candidates.Take(-diff))
            {
                plan.PodsToDelete.Add(new PodToDelete(ObjectMeta.Name(pod), RayNodeType.Worker, group.GroupName,
                    $"Deleted Pod {cluster.Namespace}/{ObjectMeta.Name(pod)}"));
            }
        }
    }
}
