using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Ray;

/// <summary>
/// One Ray cluster as its GCS sees it: the session, the node table (DEAD nodes kept under their old
/// ids), the job table and the settings of its head. A new head process starts a new session.
/// </summary>
public sealed class RayClusterState
{
    private const int MaxDeadNodes = 1000;
    private readonly List<RayNode> _nodes = [];
    private readonly TimeProvider _time;

    internal RayClusterState(string @namespace, string name, TimeProvider time, ClusterSimulationOptions options)
    {
        Namespace = @namespace;
        Name = name;
        _time = time;
        Jobs = new RayJobManager(this, time, options);
        SessionName = NewSessionName(time.GetUtcNow());
    }

    public string Namespace { get; }
    public string Name { get; }
    public string SessionName { get; private set; }
    public string RayVersion { get; private set; } = KubeRayConstants.DefaultRayVersion;

    /// <summary>The 40-hex build commit <c>/api/version</c> reports (stable per version).</summary>
    public string RayCommit => Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes("ray-" + RayVersion))).ToLowerInvariant();

    /// <summary>The token clients must send when the head runs with <c>RAY_AUTH_MODE=token</c> (Ray ≥ 2.52).</summary>
    public string? AuthToken { get; private set; }

    internal object Gate { get; } = new();

    internal RayJobManager Jobs { get; }

    /// <summary>The alive head node (null while the head is down).</summary>
    public RayNode? Head { get; private set; }

    /// <summary>
    /// GCS answers its health checks: the head process runs and its GCS is not faulted
    /// (<c>sandbox.rayps.io/gcs-healthy: "false"</c> fails the checks without stopping the process).
    /// </summary>
    public bool GcsUp
    {
        get
        {
            lock (Gate)
            {
                return Head is not null && HeadProcessRunning && Head.GcsHealthy;
            }
        }
    }

    /// <summary>The GCS process runs (the head is up): workers can join.</summary>
    public bool GcsRunning
    {
        get
        {
            lock (Gate)
            {
                return Head is not null && HeadProcessRunning;
            }
        }
    }

    internal bool HeadProcessRunning { get; set; }

    /// <summary>A snapshot of the node table in registration order.</summary>
    public IReadOnlyList<RayNode> Nodes
    {
        get
        {
            lock (Gate)
            {
                return _nodes.ToList();
            }
        }
    }

    public IReadOnlyList<RayNode> AliveNodes => Nodes.Where(n => n.State == RayNodeState.Alive).ToList();

    internal long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    internal DateTimeOffset Now => _time.GetUtcNow();

    internal static string NewSessionName(DateTimeOffset now) =>
        "session_" + now.UtcDateTime.ToString("yyyy-MM-dd_HH-mm-ss_ffffff", CultureInfo.InvariantCulture) + "_"
        + RandomNumberGenerator.GetInt32(1, 400).ToString(CultureInfo.InvariantCulture);

    /// <summary>A new head process: fresh GCS, fresh tables.</summary>
    internal void StartSession(string rayVersion, string? authToken)
    {
        _nodes.Clear();
        Jobs.Clear();
        SessionName = NewSessionName(Now);
        RayVersion = rayVersion;
        AuthToken = authToken;
        HeadProcessRunning = true;
    }

    internal void AddNode(RayNode node)
    {
        _nodes.Add(node);
        if (node.IsHead)
        {
            Head = node;
        }
    }

    internal void MarkDead(RayNode node, string reason, string message)
    {
        if (node.State == RayNodeState.Dead)
        {
            return;
        }
        node.State = RayNodeState.Dead;
        node.EndTimeMs = NowMs;
        node.DeathReason = reason;
        node.DeathMessage = message;
        var dead = _nodes.Where(n => n.State == RayNodeState.Dead).ToList();
        foreach (var old in dead.Take(Math.Max(0, dead.Count - MaxDeadNodes)))
        {
            _nodes.Remove(old);
        }
    }

    internal void HeadStopped()
    {
        HeadProcessRunning = false;
        Head = null;
    }

    internal static string HeartbeatMessage(RayNode node) =>
        $"The node with node id: {node.NodeId} and address: {node.Ip} and node name: {node.Ip} has been marked dead because the detector has missed too many "
        + "heartbeats from it. This can happen when a \t(1) raylet crashes unexpectedly (OOM, etc.) \n\t(2) raylet has lagging heartbeats due to slow network or busy workload.";
}

/// <summary>
/// Every simulated Ray process, keyed by pod: the kubelet reports <c>ray start</c> containers starting
/// and stopping, and the pod network asks which endpoint listens on a pod's port.
/// </summary>
public sealed class RayRegistry
{
    private readonly ConcurrentDictionary<(string Namespace, string Name), RayClusterState> _clusters = new();
    private readonly ConcurrentDictionary<string, RayProcess> _processes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Namespace, string Pod), string> _uidByPod = new();
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly ClusterSimulationOptions _options;

    public RayRegistry(TimeProvider? time = null, ClusterSimulationOptions? options = null)
    {
        _time = time ?? TimeProvider.System;
        _options = options ?? new ClusterSimulationOptions();
    }

    /// <summary>Maps a service name in a namespace to the RayCluster it fronts (null: unknown).</summary>
    public Func<string, string, string?>? ServiceResolver { get; set; }

    /// <summary>Raised (outside any lock) when a cluster's GCS comes up or goes down.</summary>
    public event Action<RayClusterState>? GcsChanged;

    /// <summary>Raised (outside any lock) with the pod uid when a Ray process stops or is replaced: its connections drop.</summary>
    public event Action<string>? ProcessEnded;

    public IReadOnlyCollection<RayClusterState> Clusters => _clusters.Values.ToList();

    public RayClusterState? Find(string @namespace, string name) => _clusters.GetValueOrDefault((@namespace, name));

    private RayClusterState GetOrAdd(string ns, string name) => _clusters.GetOrAdd((ns, name), k => new RayClusterState(k.Namespace, k.Name, _time, _options));

    internal sealed class RayProcess(RayProcessStart start)
    {
        public RayProcessStart Start { get; } = start;
        public RayClusterState? Cluster { get; set; }
        public RayNode? Node { get; set; }
        public bool IsHead => Start.Start.IsHead;
        public bool ForcedDead { get; set; }
    }

    /// <summary>The cluster a <c>--address</c> (host:port) of a pod in <paramref name="podNamespace"/> points at.</summary>
    public (string Namespace, string Name)? ResolveAddress(string podNamespace, string address)
    {
        var host = address.Trim().Trim('\'', '"');
        if (host.Contains("://", StringComparison.Ordinal))
        {
            host = host[(host.IndexOf("://", StringComparison.Ordinal) + 3)..];
        }
        var colon = host.LastIndexOf(':');
        if (colon > 0 && !host.EndsWith(']'))
        {
            host = host[..colon];
        }
        if (IPAddress.TryParse(host, out _))
        {
            foreach (var c in _clusters.Values)
            {
                if (c.Head?.Ip == host)
                {
                    return (c.Namespace, c.Name);
                }
            }
            return null;
        }
        var parts = host.Split('.');
        var service = parts[0];
        var ns = parts.Length >= 2 ? parts[1] : podNamespace;
        var cluster = ServiceResolver?.Invoke(ns, service);
        if (cluster is null)
        {
            cluster = service.EndsWith("-head-svc", StringComparison.Ordinal) ? service[..^"-head-svc".Length] : service;
        }
        return (ns, cluster);
    }

    /// <summary>Whether the GCS addressed from a pod is up (the wait-gcs-ready init container's check).</summary>
    public bool IsGcsReady(string podNamespace, string address) =>
        ResolveAddress(podNamespace, address) is { } key && Find(key.Namespace, key.Name) is { GcsRunning: true };

    /// <summary>A container running <c>ray start</c> started.</summary>
    internal void ProcessStarted(RayProcessStart start)
    {
        var process = new RayProcess(start);
        var changed = new List<RayClusterState>();
        var replaced = false;
        lock (_gate)
        {
            if (_processes.TryGetValue(start.PodUid, out var previous))
            {
                StopLocked(previous, expected: false, "process restarted", changed);
                replaced = true;
            }
            _processes[start.PodUid] = process;
            _uidByPod[(start.Namespace, start.PodName)] = start.PodUid;
            if (process.IsHead)
            {
                var name = PodInfo.Label(start.Pod, KubeRayConstants.RayClusterLabel) ?? start.PodName;
                var cluster = GetOrAdd(start.Namespace, name);
                process.Cluster = cluster;
                var version = RayText.VersionFromImage(JsonNodes.GetString(start.Container["image"]) ?? "") ?? KubeRayConstants.DefaultRayVersion;
                lock (cluster.Gate)
                {
                    cluster.StartSession(version, AuthTokenOf(start.Container, version));
                    process.Node = Register(cluster, process);
                }
                // Workers that were waiting for (or attached to a previous) GCS join the new session.
                foreach (var worker in _processes.Values.Where(p => !p.IsHead && p.Start.Start.Address is { } a
                             && ResolveAddress(p.Start.Namespace, a) == (cluster.Namespace, cluster.Name)))
                {
                    worker.Cluster = cluster;
                    lock (cluster.Gate)
                    {
                        worker.Node = Register(cluster, worker);
                    }
                }
                changed.Add(cluster);
            }
            else if (start.Start.Address is { } address && ResolveAddress(start.Namespace, address) is { } key && Find(key.Namespace, key.Name) is { } cluster
                     && cluster.GcsRunning)
            {
                process.Cluster = cluster;
                lock (cluster.Gate)
                {
                    process.Node = Register(cluster, process);
                }
            }
            ApplyFaults(process, start.Pod);
        }
        if (replaced)
        {
            ProcessEnded?.Invoke(start.PodUid);
        }
        foreach (var c in changed)
        {
            GcsChanged?.Invoke(c);
        }
    }

    /// <summary>A Ray container stopped (pod deleted, crashed, OOMKilled or killed by its liveness probe).</summary>
    internal void ProcessStopped(string podUid, bool expected, string? reason)
    {
        var changed = new List<RayClusterState>();
        lock (_gate)
        {
            if (!_processes.TryRemove(podUid, out var process))
            {
                return;
            }
            var key = (process.Start.Namespace, process.Start.PodName);
            if (_uidByPod.TryGetValue(key, out var uid) && uid == podUid)
            {
                _uidByPod.TryRemove(key, out _);
            }
            StopLocked(process, expected, reason, changed);
        }
        ProcessEnded?.Invoke(podUid);
        foreach (var c in changed)
        {
            GcsChanged?.Invoke(c);
        }
    }

    private static void StopLocked(RayProcess process, bool expected, string? reason, List<RayClusterState> changed)
    {
        if (process.Cluster is not { } cluster || process.Node is not { } node)
        {
            return;
        }
        lock (cluster.Gate)
        {
            if (expected)
            {
                cluster.MarkDead(node, "EXPECTED_TERMINATION", reason ?? "received SIGTERM");
            }
            else
            {
                cluster.MarkDead(node, "UNEXPECTED_TERMINATION", RayClusterState.HeartbeatMessage(node));
            }
            if (process.IsHead && ReferenceEquals(cluster.Head, node))
            {
                cluster.HeadStopped();
                changed.Add(cluster);
            }
        }
    }

    /// <summary>The pod's annotations changed: apply the sandbox fault annotations to its Ray node.</summary>
    internal void PodUpdated(JsonObject pod)
    {
        var uid = ObjectMeta.Uid(pod);
        lock (_gate)
        {
            if (_processes.TryGetValue(uid, out var process))
            {
                ApplyFaults(process, pod);
            }
        }
    }

    private void ApplyFaults(RayProcess process, JsonObject pod)
    {
        if (process.Node is not { } node || process.Cluster is not { } cluster)
        {
            return;
        }
        var wasGcsUp = cluster.GcsUp;
        node.RayletHealthy = !SandboxAnnotations.IsFalse(pod, SandboxAnnotations.RayletHealthy);
        node.GcsHealthy = !SandboxAnnotations.IsFalse(pod, SandboxAnnotations.GcsHealthy);
        node.ProbeLatencyMs = SandboxAnnotations.Milliseconds(pod, SandboxAnnotations.ProbeLatencyMs) ?? 0;
        node.Busy = SandboxAnnotations.IsTrue(pod, SandboxAnnotations.RayBusy);
        var dead = string.Equals(PodInfo.Annotation(pod, SandboxAnnotations.RayNodeState), "DEAD", StringComparison.OrdinalIgnoreCase);
        lock (cluster.Gate)
        {
            if (dead && node.State == RayNodeState.Alive)
            {
                process.ForcedDead = true;
                cluster.MarkDead(node, "UNEXPECTED_TERMINATION", RayClusterState.HeartbeatMessage(node));
            }
            else if (!dead && process.ForcedDead && node.State == RayNodeState.Dead)
            {
                // The raylet came back: GCS registers it as a new node.
                process.ForcedDead = false;
                var fresh = Register(cluster, process);
                fresh.RayletHealthy = node.RayletHealthy;
                fresh.GcsHealthy = node.GcsHealthy;
                fresh.ProbeLatencyMs = node.ProbeLatencyMs;
                fresh.Busy = node.Busy;
                process.Node = fresh;
            }
        }
        if (wasGcsUp != cluster.GcsUp)
        {
            GcsChanged?.Invoke(cluster);
        }
    }

    private RayNode Register(RayClusterState cluster, RayProcess process)
    {
        var s = process.Start;
        var resources = RayResources.Resolve(s.Start, s.Container, s.PodIp, process.IsHead, out var hostMemory, out var hostCpus);
        var nodeId = RayNode.NewNodeId();
        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["ray.io/node-id"] = nodeId };
        var group = EnvValue(s.Container, s.Pod, "RAY_NODE_TYPE_NAME");
        if (RayText.CompareVersions(cluster.RayVersion, "2.49.0") >= 0)
        {
            if (!string.IsNullOrEmpty(group))
            {
                labels["ray.io/node-group"] = group;
            }
        }
        foreach (var (k, v) in RayResources.ParseLabels(s.Start.Get("labels")))
        {
            labels[k] = v;
        }
        var node = new RayNode(nodeId, s.PodIp, s.PodName, process.IsHead, resources, labels, cluster.NowMs)
        {
            PodNamespace = s.Namespace,
            PodName = s.PodName,
            PodUid = s.PodUid,
            GroupName = group ?? PodInfo.Label(s.Pod, KubeRayConstants.GroupLabel) ?? "",
            AgentPort = s.Start.GetPort("dashboard-agent-listen-port", KubeRayConstants.DefaultDashboardAgentListenPort),
            DashboardPort = s.Start.GetPort("dashboard-port", KubeRayConstants.DefaultDashboardPort),
            IncludeDashboard = s.Start.IncludeDashboard,
            MetricsExportPort = s.Start.GetPort("metrics-export-port", KubeRayConstants.DefaultMetricsPort),
            NodeManagerPort = s.Start.GetPort("node-manager-port", 40000 + RandomNumberGenerator.GetInt32(5000)),
            ObjectManagerPort = s.Start.GetPort("object-manager-port", 8076),
            RuntimeEnvAgentPort = s.Start.GetPort("runtime-env-agent-port", 50000 + RandomNumberGenerator.GetInt32(5000)),
            RayVersion = cluster.RayVersion,
            HostMemory = hostMemory,
            HostCpus = hostCpus,
        };
        cluster.AddNode(node);
        return node;
    }

    /// <summary>An env var of the container, with the downward-API references KubeRay uses resolved against the pod.</summary>
    internal static string? EnvValue(JsonObject container, JsonObject pod, string name)
    {
        var entry = (container["env"] as JsonArray)?.OfType<JsonObject>().LastOrDefault(e => JsonNodes.GetString(e["name"]) == name);
        if (entry is null)
        {
            return null;
        }
        if (JsonNodes.GetString(entry["value"]) is { } value)
        {
            return value;
        }
        var path = JsonNodes.StringAt(entry, "valueFrom", "fieldRef", "fieldPath");
        if (path is null)
        {
            return null;
        }
        if (path == "metadata.name")
        {
            return ObjectMeta.Name(pod);
        }
        if (path == "metadata.namespace")
        {
            return ObjectMeta.Namespace(pod);
        }
        const string labelsPrefix = "metadata.labels['";
        if (path.StartsWith(labelsPrefix, StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal))
        {
            return PodInfo.Label(pod, path[labelsPrefix.Length..^2]);
        }
        return null;
    }

    private static string? AuthTokenOf(JsonObject container, string version)
    {
        if (RayText.CompareVersions(version, "2.52.0") < 0)
        {
            return null;
        }
        var env = (container["env"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var mode = env.LastOrDefault(e => JsonNodes.GetString(e["name"]) == "RAY_AUTH_MODE");
        if (!string.Equals(JsonNodes.GetString(mode?["value"]), "token", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = env.LastOrDefault(e => JsonNodes.GetString(e["name"]) == "RAY_AUTH_TOKEN");
        // A token from a Secret cannot be read by the simulation: any non-empty bearer token is then accepted.
        return JsonNodes.GetString(token?["value"]) ?? "";
    }

    /// <summary>The alive (or force-killed) Ray node of a pod, if its Ray process runs and joined a cluster.</summary>
    public RayNode? NodeForPod(string @namespace, string pod)
    {
        if (_uidByPod.TryGetValue((@namespace, pod), out var uid) && _processes.TryGetValue(uid, out var process))
        {
            return process.Node;
        }
        return null;
    }

    /// <summary>The cluster a pod's Ray process belongs to.</summary>
    public RayClusterState? ClusterForPod(string @namespace, string pod) =>
        _uidByPod.TryGetValue((@namespace, pod), out var uid) && _processes.TryGetValue(uid, out var process) ? process.Cluster : null;

    /// <summary>What listens on a pod's port: the dashboard (head), the dashboard agent (every node) or the metrics exporter.</summary>
    public IRayEndpoint? Endpoint(string @namespace, string pod, int port)
    {
        if (!_uidByPod.TryGetValue((@namespace, pod), out var uid) || !_processes.TryGetValue(uid, out var process)
            || process.Node is not { } node || process.Cluster is not { } cluster)
        {
            return null;
        }
        if (process.IsHead && node.IncludeDashboard && port == node.DashboardPort)
        {
            return new RayDashboard(cluster, this);
        }
        if (port == node.AgentPort)
        {
            return new RayAgent(cluster, node);
        }
        if (port == node.MetricsExportPort)
        {
            return new RayMetrics(cluster, node);
        }
        return null;
    }

    /// <summary>The pod uid currently running a Ray process under this name (for connection tracking).</summary>
    public string? PodUid(string @namespace, string pod) => _uidByPod.TryGetValue((@namespace, pod), out var uid) ? uid : null;
}
