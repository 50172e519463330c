using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using RayPS.Sandbox.ControllerManager;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Ray;
using RayPS.Sandbox.Store;
using static RayPS.Sandbox.Cluster.KubeRayConstants;

namespace RayPS.Sandbox.Cluster;

/// <summary>
/// The Ray autoscaler that KubeRay runs as the head pod's <c>autoscaler</c> sidecar when a RayCluster has
/// <c>enableInTreeAutoscaling</c>: it acts only while that container runs. Like Ray's autoscaler it writes the RayCluster
/// through JSON patches: it scales a group up by one replica per pending job whose entrypoint resources no node can host
/// (within maxReplicas), and down for Ray nodes idle (no running job, task or actor) longer than
/// <c>autoscalerOptions.idleTimeoutSeconds</c> (default 60, in simulated seconds) by lowering replicas (not below
/// minReplicas) and naming exactly those pods in <c>scaleStrategy.workersToDelete</c>; it drops names of pods that are gone
/// from that list.
/// </summary>
internal sealed class AutoscalerController : Controller
{
    public const string FieldManager = "autoscaler";
    private const int DefaultIdleTimeoutSeconds = 60;

    private readonly RayRegistry _ray;
    private readonly ClusterSimulationOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, byte> _autoscaled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastActive = new(StringComparer.Ordinal);
    private readonly ITimer _tick;

    public AutoscalerController(ObjectStore store, RayRegistry ray, ClusterSimulationOptions options, TimeProvider? time = null)
        : base(store)
    {
        _ray = ray;
        _options = options;
        _time = time ?? TimeProvider.System;
        var period = options.Seconds(1) < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : options.Seconds(1);
        _tick = _time.CreateTimer(_ => Tick(), null, period, period);
    }

    public override string Name => FieldManager;

    internal override void Stopped() => _tick.Dispose();

    internal override void Observe(StoreEvent change)
    {
        if (change.StorageKey != "ray.io/rayclusters")
        {
            return;
        }
        var key = KeyOf(ObjectMeta.Namespace(change.Object), ObjectMeta.Name(change.Object));
        if (change.Type != WatchEvent.Deleted && JsonNodes.GetBool(JsonNodes.At(change.Object, "spec", "enableInTreeAutoscaling")) == true)
        {
            _autoscaled[key] = 0;
        }
        else
        {
            _autoscaled.TryRemove(key, out _);
        }
    }

    /// <summary>Queues the autoscaled clusters that have something to do, so an idle autoscaler keeps the sandbox idle.</summary>
    private void Tick()
    {
        foreach (var key in _autoscaled.Keys)
        {
            try
            {
                if (Plan(key, dryRun: true))
                {
                    Enqueue(key);
                }
            }
            catch (Exception)
            {
                // A cluster that changes under the look is looked at again on the next tick.
            }
        }
    }

    protected override void Reconcile(string key) => Plan(key, dryRun: false);

    /// <summary>Computes (and unless <paramref name="dryRun"/> writes) the autoscaler's next change; true when there is one.</summary>
    private bool Plan(string key, bool dryRun)
    {
        var (ns, name) = SplitKey(key);
        var obj = Store.TryGet(Gvr.RayClusters, ns, name);
        if (obj is null || ns is null)
        {
            return false;
        }
        var cluster = new RayClusterSpec(obj);
        if (!cluster.Autoscaling || cluster.Suspend || cluster.Deleting || !AutoscalerRunning(ns, name))
        {
            return false;
        }
        var state = _ray.Find(ns, name);
        if (state is null)
        {
            return false;
        }
        var pods = Store.ListItems(Gvr.Pods, ns, new ListOptions { LabelSelector = $"{RayClusterLabel}={name}" });
        var now = _time.GetUtcNow();
        var used = state.Jobs.UsedByNode();
        var nodes = state.AliveNodes;
        foreach (var node in nodes.Where(n => n.Busy || used.ContainsKey(n.NodeId)))
        {
            _lastActive[node.NodeId] = now;
        }

        var idleTimeout = _options.Seconds(JsonNodes.GetInteger(JsonNodes.At(cluster.Spec, "autoscalerOptions", "idleTimeoutSeconds")) ?? DefaultIdleTimeoutSeconds);
        var demands = state.Jobs.UnplacedDemands().ToList();
        var patch = new JsonArray();
        for (var index = 0; index < cluster.Groups.Count; index++)
        {
            var group = cluster.Groups[index];
            if (group.Suspend)
            {
                continue;
            }
            var at = $"/spec/workerGroupSpecs/{index}";
            var groupPods = pods.Where(p => PodInfo.Label(p, GroupLabel) == group.GroupName && PodInfo.Label(p, NodeTypeLabel) == "worker").ToList();
            var podNames = groupPods.Select(ObjectMeta.Name).ToHashSet(StringComparer.Ordinal);
            var listed = group.WorkersToDelete;
            var replicas = group.Replicas ?? 0;
            var ops = new JsonArray();

            // Up: one replica per pending job this group's workers could host, while no pod of the group is still starting.
            var starting = groupPods.Any(p => !PodInfo.IsTerminating(p) && !nodes.Any(n => n.PodName == ObjectMeta.Name(p)));
            var resources = starting ? null : GroupResources(cluster, group);
            var fitting = resources is null ? 0 : demands.Count(d => d.All(r => resources.GetValueOrDefault(r.Key) >= r.Value));
            var up = Math.Min(fitting, Math.Max(0, group.MaxReplicas - replicas));
            if (up > 0)
            {
                demands.RemoveAll(d => d.All(r => resources!.GetValueOrDefault(r.Key) >= r.Value));
                ops.Add(Op("test", at + "/groupName", group.GroupName));
                ops.Add(Op("test", at + "/replicas", replicas));
                ops.Add(Op("replace", at + "/replicas", replicas + up));
            }
            else
            {
                // Down: idle nodes past the timeout, never below minReplicas.
                var idle = nodes
                    .Where(n => !n.IsHead && n.GroupName == group.GroupName && podNames.Contains(n.PodName) && !listed.Contains(n.PodName))
                    .Where(n => !n.Busy && !used.ContainsKey(n.NodeId))
                    .Where(n => now - Max(DateTimeOffset.FromUnixTimeMilliseconds(n.StartTimeMs), _lastActive.GetValueOrDefault(n.NodeId)) >= idleTimeout)
                    .OrderBy(n => n.PodName, StringComparer.Ordinal)
                    .ToList();
                var down = Math.Min(idle.Count, Math.Max(0, replicas - group.MinReplicas));
                var kept = listed.Where(podNames.Contains).ToList();
                if (down > 0 || kept.Count != listed.Count)
                {
                    var names = kept.Concat(idle.Take(down).Select(n => n.PodName)).ToList();
                    ops.Add(Op("test", at + "/groupName", group.GroupName));
                    ops.Add(Op("test", at + "/replicas", replicas));
                    ops.Add(Op("replace", at + "/replicas", replicas - down));
                    var list = new JsonArray(names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
                    ops.Add(group.Object["scaleStrategy"] is JsonObject
                        ? Op("add", at + "/scaleStrategy/workersToDelete", list)
                        : Op("add", at + "/scaleStrategy", new JsonObject { ["workersToDelete"] = list }));
                }
            }
            foreach (var op in ops)
            {
                patch.Add(op!.DeepClone());
            }
        }
        if (patch.Count == 0)
        {
            return false;
        }
        if (!dryRun)
        {
            patch.Insert(0, Op("test", "/metadata/generation", cluster.Generation));
            Store.Patch(Gvr.RayClusters, ns, name, PatchType.JsonPatch, JsonText.Serialize(patch), new PatchOptions { FieldManager = FieldManager });
        }
        return true;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>The autoscaler sidecar of the cluster's head pod is running (KubeRay adds it when it creates the head).</summary>
    private bool AutoscalerRunning(string ns, string cluster) =>
        Store.ListItems(Gvr.Pods, ns, new ListOptions { LabelSelector = $"{RayClusterLabel}={cluster},{NodeTypeLabel}=head" })
            .Any(p => !PodInfo.IsTerminating(p)
                && (JsonNodes.At(p, "status", "containerStatuses") as JsonArray)?.OfType<JsonObject>()
                    .Any(c => JsonNodes.GetString(c["name"]) == AutoscalerContainerName && JsonNodes.At(c, "state", "running") is not null) == true);

    /// <summary>The Ray resources one worker of the group has, as its ray start would resolve them.</summary>
    private static SortedDictionary<string, double>? GroupResources(RayClusterSpec cluster, WorkerGroup group)
    {
        var pod = KubeRayBuilder.BuildWorkerPod(cluster, group);
        var container = (JsonNodes.At(pod, "spec", "containers") as JsonArray)?.OfType<JsonObject>().FirstOrDefault();
        if (container is null || RayStartCommand.Parse(RayStartCommand.ContainerCommandLine(container)) is not { } start)
        {
            return null;
        }
        return RayResources.Resolve(start, container, "0.0.0.0", isHead: false, out _, out _);
    }

    private static JsonObject Op(string op, string path, JsonNode? value) => new() { ["op"] = op, ["path"] = path, ["value"] = value };
}
