using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Sandbox.ControllerManager;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Ray;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Cluster;

/// <summary>
/// The simulated scheduler and kubelets: binds new pods to <c>sandbox-node-N</c> (registering Node
/// objects as needed), runs each pod's <see cref="KubeletPod"/> state machine, writes pod status,
/// records events, finishes graceful deletions, and tells the <see cref="RayRegistry"/> when a
/// container running <c>ray start</c> starts or stops. Work is per pod key, woken by store changes,
/// by the pod's own timers and by Ray GCS changes.
/// </summary>
internal sealed partial class KubeletController : Controller, IKubeletEnvironment
{
    public const string Manager = "kubelet";
    private static readonly TimeSpan WakeTolerance = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan RearmWindow = TimeSpan.FromMilliseconds(50);
    private const string SchedulerComponent = "default-scheduler";

    private readonly RayRegistry _registry;
    private readonly ClusterSimulationOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Entry> _pods = new(StringComparer.Ordinal);
    private readonly NodePool _nodes;
    private readonly object _nodeGate = new();

    public KubeletController(ObjectStore store, RayRegistry registry, ClusterSimulationOptions options, TimeProvider? time = null)
        : base(store)
    {
        _registry = registry;
        _options = options;
        _time = time ?? TimeProvider.System;
        _nodes = new NodePool(options.MaxPodsPerNode);
        _registry.GcsChanged += OnGcsChanged;
    }

    public override string Name => Manager;

    private sealed class Entry(string key, DateTimeOffset firstSeen)
    {
        public string Key { get; } = key;

        /// <summary>When the kubelet first saw the pod (creationTimestamp only has second precision).</summary>
        public DateTimeOffset FirstSeen { get; } = firstSeen;
        public volatile JsonObject? Latest;
        public volatile bool Deleted;
        public KubeletPod? Sim { get; set; }
        public SimNode? Node { get; set; }
        public string? Uid { get; set; }
        public string? AppliedAnnotations { get; set; }
        public DateTimeOffset? ScheduledWake { get; set; }
        public bool? IsRayPod { get; set; }
        public string? UnschedulableReported { get; set; }
    }

    internal override void Observe(StoreEvent change)
    {
        if (change.StorageKey != "/pods")
        {
            return;
        }
        var key = KeyOf(ObjectMeta.Namespace(change.Object), ObjectMeta.Name(change.Object));
        if (change.Type == WatchEvent.Deleted)
        {
            // The pod may go before it was ever scheduled (the entry has no uid yet): match the last version seen.
            if (_pods.TryGetValue(key, out var gone) && (gone.Uid ?? (gone.Latest is { } seen ? ObjectMeta.Uid(seen) : null)) == ObjectMeta.Uid(change.Object))
            {
                gone.Deleted = true;
                Enqueue(key);
            }
            return;
        }
        var entry = _pods.GetOrAdd(key, k => new Entry(k, _time.GetUtcNow()));
        entry.Latest = change.Object;
        if (change.Previous is null || entry.Sim is null || !OnlyStatusChanged(change.Object, change.Previous))
        {
            Enqueue(key);
        }
    }

    // Our own status writes come back as MODIFIED events; they need no work.
    private static bool OnlyStatusChanged(JsonObject now, JsonObject before) =>
        ObjectMeta.Uid(now) == ObjectMeta.Uid(before)
        && ObjectMeta.DeletionTimestamp(now) == ObjectMeta.DeletionTimestamp(before)
        && JsonNodes.DeepEquals(ObjectMeta.Annotations(now), ObjectMeta.Annotations(before))
        && JsonNodes.DeepEquals(JsonNodes.At(now, "spec", "containers"), JsonNodes.At(before, "spec", "containers"))
        && JsonNodes.DeepEquals(JsonNodes.At(now, "spec", "initContainers"), JsonNodes.At(before, "spec", "initContainers"));

    internal override void Resync()
    {
        foreach (var pod in Store.ListItems(Gvr.Pods, null))
        {
            var key = KeyOf(ObjectMeta.Namespace(pod), ObjectMeta.Name(pod));
            _pods.GetOrAdd(key, k => new Entry(k, _time.GetUtcNow())).Latest = pod;
            Enqueue(key);
        }
    }

    private void OnGcsChanged(RayClusterState cluster)
    {
        foreach (var entry in _pods.Values)
        {
            if (entry.Sim is { } sim && (sim.WaitingForGcs is not null || ReferenceEquals(_registry.ClusterForPod(sim.Namespace, sim.Name), cluster)))
            {
                Enqueue(entry.Key);
            }
        }
    }

    protected override void Reconcile(string key)
    {
        if (!_pods.TryGetValue(key, out var entry))
        {
            return;
        }
        // Timers fire on a coarse clock (a few ms early at worst): anything due within the tolerance is due now.
        var now = _time.GetUtcNow() + WakeTolerance;
        if (entry.ScheduledWake is { } wake && wake <= now)
        {
            entry.ScheduledWake = null;
        }
        if (entry.Deleted)
        {
            Forget(entry);
            return;
        }
        var pod = entry.Latest;
        if (pod is null)
        {
            return;
        }
        if (entry.Sim is not null && ObjectMeta.Uid(pod) != entry.Uid)
        {
            // A new pod with the same name: the old one is gone.
            Forget(entry);
            entry = _pods.GetOrAdd(key, k => new Entry(k, _time.GetUtcNow()));
            entry.Latest = pod;
        }
        KubeletStep step;
        var bind = false;
        if (entry.Sim is null)
        {
            if (!TrySchedule(entry, pod, now))
            {
                return;
            }
            bind = true;
        }
        var sim = entry.Sim!;
        sim.Update(pod);
        var annotations = ObjectMeta.Annotations(pod)?.ToJsonString() ?? "";
        if (annotations != entry.AppliedAnnotations)
        {
            entry.AppliedAnnotations = annotations;
            _registry.PodUpdated(pod);
        }
        step = sim.Advance(now, this);
        Apply(entry, pod, step, bind);
        // A timer that is due soon may already have fired early (coarse timer clock) and been merged into
        // this very reconcile by the queue's de-duplication: re-arm near-term wakes instead of trusting it.
        if (!step.Delete && sim.WakeAt is { } next
            && (entry.ScheduledWake is null || next < entry.ScheduledWake || entry.ScheduledWake <= now + RearmWindow))
        {
            entry.ScheduledWake = next;
            var delay = next - now;
            if (delay <= TimeSpan.Zero)
            {
                Enqueue(key);
            }
            else
            {
                EnqueueAfter(key, delay + TimeSpan.FromMilliseconds(1));
            }
        }
    }

    private bool TrySchedule(Entry entry, JsonObject pod, DateTimeOffset now)
    {
        if (ObjectMeta.DeletionTimestamp(pod) is not null)
        {
            return false;
        }
        var boundTo = JsonNodes.StringAt(pod, "spec", "nodeName");
        SimNode? node;
        string ip;
        lock (_nodeGate)
        {
            if (!string.IsNullOrEmpty(boundTo))
            {
                // Bound elsewhere (not by us): only our nodes run pods.
                node = _nodes.Find(boundTo);
                if (node is null)
                {
                    return false;
                }
                ip = node.AllocateIp()!;
            }
            else
            {
                var due = entry.FirstSeen + _options.ScheduleDelay;
                if (due > now)
                {
                    if (entry.ScheduledWake is null)
                    {
                        entry.ScheduledWake = due;
                        EnqueueAfter(entry.Key, due - now);
                    }
                    return false;
                }
                if (NodePool.Unfit(pod) is { } insufficient)
                {
                    ReportUnschedulable(entry, pod, insufficient);
                    return false;
                }
                (node, ip) = _nodes.Allocate();
            }
        }
        EnsureNodeRegistered(node);
        entry.Node = node;
        entry.Uid = ObjectMeta.Uid(pod);
        entry.Sim = new KubeletPod(pod, node.Name, node.HostIp, ip, now, _options, entry.FirstSeen);
        if (_options.RecordEvents && string.IsNullOrEmpty(boundTo))
        {
            ClusterEvents.Record(Store, pod, "Normal", "Scheduled",
                $"Successfully assigned {ObjectMeta.Namespace(pod)}/{ObjectMeta.Name(pod)} to {node.Name}", SchedulerComponent);
        }
        return true;
    }

    /// <summary>
    /// A pod that asks for more than any simulated node has stays Pending with PodScheduled=False/Unschedulable and a
    /// FailedScheduling event, worded as the default scheduler words them. Reported once per pod (as its spec cannot change).
    /// </summary>
    private void ReportUnschedulable(Entry entry, JsonObject pod, IReadOnlyList<string> insufficient)
    {
        var uid = ObjectMeta.Uid(pod);
        if (entry.UnschedulableReported == uid)
        {
            return;
        }
        entry.UnschedulableReported = uid;
        var nodes = Math.Max(1, _nodes.Nodes.Count);
        var message = $"0/{nodes} nodes are available: {string.Join(", ", insufficient.Select(r => $"{nodes} Insufficient {r}"))}. " +
            $"preemption: 0/{nodes} nodes are available: {nodes} No preemption victims found for incoming pod.";
        var now = ObjectMeta.Timestamp(_time.GetUtcNow());
        try
        {
            Store.Mutate(Gvr.Pods, ObjectMeta.Namespace(pod), ObjectMeta.Name(pod), obj =>
            {
                if (ObjectMeta.Uid(obj) != uid)
                {
                    return false;
                }
                obj["status"] = new JsonObject
                {
                    ["phase"] = "Pending",
                    ["conditions"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "PodScheduled",
                        ["status"] = "False",
                        ["lastProbeTime"] = null,
                        ["lastTransitionTime"] = now,
                        ["reason"] = "Unschedulable",
                        ["message"] = message,
                    }),
                    ["qosClass"] = JsonNodes.StringAt(obj, "status", "qosClass") ?? "BestEffort",
                };
                return true;
            }, SchedulerComponent, "status");
        }
        catch (ApiException ex) when (ex.Code == 404)
        {
            return;
        }
        if (_options.RecordEvents)
        {
            ClusterEvents.Record(Store, pod, "Warning", "FailedScheduling", message, SchedulerComponent);
        }
    }

    private void EnsureNodeRegistered(SimNode node)
    {
        lock (_nodeGate)
        {
            if (node.Registered)
            {
                return;
            }
            node.Registered = true;
        }
        try
        {
            if (Store.TryGet(Gvr.Nodes, null, node.Name) is null)
            {
                Store.Create(Gvr.Nodes, node.ToNode(_options.KubeletVersion, _options.MaxPodsPerNode), new WriteOptions { FieldManager = Manager });
            }
            var status = node.Status(_options.KubeletVersion, _options.MaxPodsPerNode, ObjectMeta.Timestamp(_time.GetUtcNow()));
            Store.Mutate(Gvr.Nodes, null, node.Name, obj =>
            {
                obj["status"] = status;
                return true;
            }, Manager, "status");
        }
        catch (ApiException)
        {
            // Node registration is best effort; pods still run.
        }
    }

    private void Apply(Entry entry, JsonObject pod, KubeletStep step, bool bind)
    {
        var sim = entry.Sim!;
        var ns = sim.Namespace;
        foreach (var n in step.Notifications)
        {
            Notify(entry, pod, n);
        }
        if (step.Delete)
        {
            // The kubelet's final delete: zero grace period on the terminating pod removes it.
            try
            {
                Store.Mutate(Gvr.Pods, ns, sim.Name, obj =>
                {
                    if (ObjectMeta.Uid(obj) != sim.Uid || ObjectMeta.DeletionTimestamp(obj) is null)
                    {
                        return false;
                    }
                    ObjectMeta.Meta(obj)["deletionGracePeriodSeconds"] = 0L;
                    return true;
                }, Manager);
            }
            catch (ApiException)
            {
                // Already gone.
            }
            return;
        }
        // A kubelet records what it does (Killing, Started, Unhealthy) before the status manager reports the result, so a
        // client that sees restartCount go up already finds the Killing event. Only the first step after binding writes the
        // node name first: the kubelet learns of the pod from that binding.
        if (!bind)
        {
            RecordEvents();
        }
        if (bind || step.StatusChanged)
        {
            var status = sim.BuildStatus();
            var nodeName = sim.NodeName;
            try
            {
                Store.Mutate(Gvr.Pods, ns, sim.Name, obj =>
                {
                    if (ObjectMeta.Uid(obj) != sim.Uid)
                    {
                        return false;
                    }
                    if (bind)
                    {
                        JsonNodes.EnsureObject(obj, "spec")["nodeName"] = nodeName;
                    }
                    obj["status"] = status;
                    return true;
                }, Manager, bind ? null : "status");
            }
            catch (ApiException ex) when (ex.Code == 404)
            {
                return;
            }
        }
        if (bind)
        {
            RecordEvents();
        }

        void RecordEvents()
        {
            if (_options.RecordEvents)
            {
                foreach (var e in step.Events)
                {
                    ClusterEvents.Record(Store, pod, e.Type, e.Reason, e.Message, Manager, sim.NodeName, e.FieldPath);
                }
            }
        }
    }

    private void Notify(Entry entry, JsonObject pod, ContainerNotification n)
    {
        var sim = entry.Sim!;
        var container = PodInfo.Containers(pod).FirstOrDefault(c => JsonNodes.GetString(c["name"]) == n.Container);
        if (container is null)
        {
            return;
        }
        var parsed = RayStartCommand.Parse(RayStartCommand.ContainerCommandLine(container));
        if (parsed is null)
        {
            return;
        }
        if (n.Started)
        {
            _registry.ProcessStarted(new RayProcessStart(sim.Namespace, sim.Name, sim.Uid, sim.PodIp, n.Container, parsed, container, pod));
        }
        else
        {
            _registry.ProcessStopped(sim.Uid, n.Expected, n.Reason);
        }
    }

    private void Forget(Entry entry)
    {
        _pods.TryRemove(new KeyValuePair<string, Entry>(entry.Key, entry));
        if (entry.Sim is { } sim)
        {
            _registry.ProcessStopped(sim.Uid, expected: true, "received SIGTERM");
            lock (_nodeGate)
            {
                entry.Node?.Release(sim.PodIp);
            }
        }
        entry.Sim = null;
    }

    // ----- IKubeletEnvironment -----

    public bool IsGcsReady(string podNamespace, string address) => _registry.IsGcsReady(podNamespace, address);

    [GeneratedRegex(@"(?:https?://)?(?:localhost|127\.0\.0\.1):(\d+)(/[^\s|;&'""]*)?")]
    private static partial Regex LocalUrl();

    public ProbeResult EvaluateProbe(JsonObject pod, JsonObject container, JsonObject probe)
    {
        var ns = ObjectMeta.Namespace(pod) ?? "default";
        var name = ObjectMeta.Name(pod);
        var isRayPod = IsRayPod(pod);
        var timeoutMs = (JsonNodes.GetInteger(probe["timeoutSeconds"]) ?? 1) * 1000;
        if (probe["exec"] is JsonObject exec)
        {
            var command = string.Join(' ', (exec["command"] as JsonArray)?.Select(n => JsonNodes.GetString(n) ?? "") ?? []);
            foreach (Match m in LocalUrl().Matches(command))
            {
                var port = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                var path = m.Groups[2].Success ? m.Groups[2].Value : "/";
                var answer = RayProbes.Ask(_registry, ns, name, port, path);
                if (answer is null)
                {
                    if (isRayPod)
                    {
                        return new ProbeResult(false, "wget: can't connect to remote host (127.0.0.1): Connection refused\n");
                    }
                    continue;
                }
                if (answer.LatencyMs >= timeoutMs)
                {
                    return new ProbeResult(false, $"command \"{command}\" timed out");
                }
                var r = answer.Response;
                if (r.Status >= 400)
                {
                    return new ProbeResult(false, $"wget: server returned error: HTTP/1.1 {r.Status} {r.Reason ?? Http.HttpResponse.ReasonPhrase(r.Status)}\n");
                }
                if (command.Contains("grep success", StringComparison.Ordinal) && !r.BodyText.Contains("success", StringComparison.Ordinal))
                {
                    return new ProbeResult(false, "");
                }
            }
            return ProbeResult.Ok;
        }
        if (probe["httpGet"] is JsonObject http)
        {
            var port = ResolvePort(container, http["port"]);
            var path = JsonNodes.GetString(http["path"]) ?? "/";
            if (port is null)
            {
                return ProbeResult.Ok;
            }
            var ip = JsonNodes.StringAt(pod, "status", "podIP") ?? "";
            var answer = RayProbes.Ask(_registry, ns, name, port.Value, path);
            var url = $"http://{ip}:{port.Value.ToString(CultureInfo.InvariantCulture)}{path}";
            if (answer is null)
            {
                return isRayPod ? new ProbeResult(false, $"Get \"{url}\": dial tcp {ip}:{port.Value}: connect: connection refused") : ProbeResult.Ok;
            }
            if (answer.LatencyMs >= timeoutMs)
            {
                return new ProbeResult(false, $"Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
            }
            return answer.Response.Status is >= 200 and < 400
                ? ProbeResult.Ok
                : new ProbeResult(false, $"HTTP probe failed with statuscode: {answer.Response.Status.ToString(CultureInfo.InvariantCulture)}");
        }
        if (probe["tcpSocket"] is JsonObject tcp && ResolvePort(container, tcp["port"]) is { } tcpPort && isRayPod
            && _registry.Endpoint(ns, name, tcpPort) is null && _registry.NodeForPod(ns, name) is null)
        {
            var ip = JsonNodes.StringAt(pod, "status", "podIP") ?? "";
            return new ProbeResult(false, $"dial tcp {ip}:{tcpPort}: connect: connection refused");
        }
        return ProbeResult.Ok;
    }

    private bool IsRayPod(JsonObject pod)
    {
        var key = KeyOf(ObjectMeta.Namespace(pod), ObjectMeta.Name(pod));
        if (_pods.TryGetValue(key, out var entry) && entry.IsRayPod is { } known)
        {
            return known;
        }
        var result = PodInfo.Containers(pod).Any(c => RayStartCommand.Parse(RayStartCommand.ContainerCommandLine(c)) is not null);
        if (entry is not null)
        {
            entry.IsRayPod = result;
        }
        return result;
    }

    private static int? ResolvePort(JsonObject container, JsonNode? port)
    {
        if (JsonNodes.GetInteger(port) is { } number)
        {
            return (int)number;
        }
        var name = JsonNodes.GetString(port);
        if (name is null)
        {
            return null;
        }
        if (int.TryParse(name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }
        var match = (container["ports"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(p => JsonNodes.GetString(p["name"]) == name);
        return match is null ? null : (int?)JsonNodes.GetInteger(match["containerPort"]);
    }
}
