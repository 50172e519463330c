using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;
using static RayPS.Sandbox.Cluster.KubeRayConstants;

namespace RayPS.Sandbox.Cluster;

/// <summary>A failed write during a reconcile, surfaced as the ReplicaFailure condition.</summary>
internal sealed record ReconcileFailure(string Reason, string Message);

/// <summary>KubeRay 1.4.2's calculateStatus, updateEndpoints and updateHeadInfo as a pure function.</summary>
internal static class RayClusterStatusBuilder
{
    /// <param name="cluster">The RayCluster (its current status is the starting point).</param>
    /// <param name="pods">All pods in the namespace labelled ray.io/cluster=&lt;name&gt;.</param>
    /// <param name="services">Services in the namespace labelled ray.io/cluster=&lt;name&gt;.</param>
    /// <param name="failure">The reconcile error, if any.</param>
    /// <param name="now">The current time.</param>
    public static JsonObject Compute(RayClusterSpec cluster, IReadOnlyList<JsonObject> pods, IReadOnlyList<JsonObject> services,
        ReconcileFailure? failure, DateTimeOffset now)
    {
        var old = cluster.Object["status"] as JsonObject ?? new JsonObject();
        var oldState = JsonNodes.GetString(old["state"]);
        var conditions = (old["conditions"] as JsonArray)?.OfType<JsonObject>().Select(c => (JsonObject)c.DeepClone()).ToList() ?? [];
        var nowText = ObjectMeta.Timestamp(now);

        if (failure is not null)
        {
            SetCondition(conditions, ReplicaFailure, "True", failure.Reason, failure.Message, nowText);
        }
        else
        {
            conditions.RemoveAll(c => JsonNodes.GetString(c["type"]) == ReplicaFailure);
        }

        var workers = pods.Where(p => PodInfo.Label(p, NodeTypeLabel) == "worker").ToList();
        var ready = workers.Count(PodInfo.IsRunningAndReady);
        var available = workers.Count(p => PodInfo.Phase(p) == "Running");
        var activeGroups = cluster.Groups.Where(g => !g.Suspend).ToList();
        var desired = activeGroups.Sum(g => (long)g.DesiredReplicas);
        var min = activeGroups.Sum(g => (long)g.MinReplicas * g.NumOfHosts);
        var max = activeGroups.Sum(g => (long)g.MaxReplicas * g.NumOfHosts);
        var resources = DesiredResources(cluster);

        var state = oldState;
        var reason = JsonNodes.GetString(old["reason"]);
        var allRunning = AllPodsRunning(pods);
        if (failure is null && pods.Count == desired + 1 && allRunning)
        {
            state = "ready";
            reason = null;
        }

        var heads = pods.Where(p => PodInfo.Label(p, NodeTypeLabel) == "head").ToList();
        var head = heads.Count == 1 ? heads[0] : null;
        if (head is null)
        {
            SetCondition(conditions, HeadPodReady, "False", HeadPodNotFound, "Head Pod not found", nowText);
        }
        else
        {
            var podReady = PodInfo.Condition(head, "Ready");
            var status = "False";
            var condReason = UnknownReason;
            var message = "";
            if (podReady is not null)
            {
                status = JsonNodes.GetString(podReady["status"]) ?? "False";
                message = JsonNodes.GetString(podReady["message"]) ?? "";
                var r = JsonNodes.GetString(podReady["reason"]) ?? "";
                if (status == "True" && r.Length == 0)
                {
                    r = HeadPodRunningAndReady;
                }
                if (r.Length > 0)
                {
                    condReason = r;
                }
            }
            SetCondition(conditions, HeadPodReady, status, condReason, message, nowText);
        }

        // Suspension (RayClusterStatusConditions on): spec.suspend first sets Suspending; the next reconcile
        // deletes the pods and, once none is left, sets Suspended. Clearing spec.suspend clears Suspended;
        // the reconcile after that creates pods again. state stays "suspended" until the pods all run.
        var suspendStatus = SuspendStatus(conditions);
        var provisioned = conditions.FirstOrDefault(c => JsonNodes.GetString(c["type"]) == RayClusterProvisioned);
        if (suspendStatus == RayClusterSuspended)
        {
            SetCondition(conditions, RayClusterProvisioned, "False", RayClusterPodsProvisioning, SuspendedMessage, nowText);
        }
        else if (JsonNodes.GetString(provisioned?["status"]) != "True")
        {
            if (allRunning && pods.Count == desired + 1)
            {
                SetCondition(conditions, RayClusterProvisioned, "True", AllPodRunningAndReadyFirstTime, "All Ray Pods are ready for the first time", nowText);
            }
            else
            {
                SetCondition(conditions, RayClusterProvisioned, "False", RayClusterPodsProvisioning, "RayCluster Pods are being provisioned for first time", nowText);
            }
        }
        if (suspendStatus == RayClusterSuspending)
        {
            if (pods.Count == 0)
            {
                SetCondition(conditions, RayClusterProvisioned, "False", RayClusterPodsProvisioning, SuspendedMessage, nowText);
                SetCondition(conditions, RayClusterSuspending, "False", RayClusterSuspending, "", nowText);
                SetCondition(conditions, RayClusterSuspended, "True", RayClusterSuspended, "", nowText);
            }
        }
        else if (suspendStatus == RayClusterSuspended)
        {
            if (!cluster.Suspend)
            {
                SetCondition(conditions, RayClusterSuspended, "False", RayClusterSuspended, "", nowText);
            }
        }
        else
        {
            SetCondition(conditions, RayClusterSuspended, "False", RayClusterSuspended, "", nowText);
            SetCondition(conditions, RayClusterSuspending, cluster.Suspend ? "True" : "False", RayClusterSuspending, "", nowText);
        }
        if (cluster.Suspend && pods.Count == 0)
        {
            state = "suspended";
        }

        var result = new JsonObject();
        if (!string.IsNullOrEmpty(state))
        {
            result["state"] = state;
        }
        result["desiredCPU"] = resources.Cpu;
        result["desiredMemory"] = resources.Memory;
        result["desiredGPU"] = resources.Gpu;
        result["desiredTPU"] = resources.Tpu;
        result["lastUpdateTime"] = JsonNodes.GetString(old["lastUpdateTime"]) is { } lut ? lut : nowText;
        var transitions = old["stateTransitionTimes"]?.DeepClone() as JsonObject ?? new JsonObject();
        if (!string.IsNullOrEmpty(state) && state != oldState)
        {
            transitions[state] = nowText;
        }
        if (transitions.Count > 0)
        {
            result["stateTransitionTimes"] = transitions;
        }
        var endpoints = Endpoints(cluster, services);
        if (endpoints.Count > 0)
        {
            result["endpoints"] = endpoints;
        }
        result["head"] = HeadInfo(cluster, head, services);
        if (!string.IsNullOrEmpty(reason))
        {
            result["reason"] = reason;
        }
        if (conditions.Count > 0)
        {
            result["conditions"] = new JsonArray(conditions.Select(c => (JsonNode?)c).ToArray());
        }
        void SetInt(string key, long value)
        {
            if (value != 0)
            {
                result[key] = value;
            }
        }
        SetInt("readyWorkerReplicas", ready);
        SetInt("availableWorkerReplicas", available);
        SetInt("desiredWorkerReplicas", desired);
        SetInt("minWorkerReplicas", min);
        SetInt("maxWorkerReplicas", Math.Min(max, int.MaxValue));
        SetInt("observedGeneration", cluster.Generation);
        return result;
    }

    private const string SuspendedMessage = "RayCluster has been suspended";

    /// <summary>FindRayClusterSuspendStatus: RayClusterSuspending or RayClusterSuspended when that condition is True, else null.</summary>
    public static string? SuspendStatus(RayClusterSpec cluster) =>
        SuspendStatus((JsonNodes.At(cluster.Object, "status", "conditions") as JsonArray)?.OfType<JsonObject>() ?? []);

    private static string? SuspendStatus(IEnumerable<JsonObject> conditions)
    {
        foreach (var condition in conditions)
        {
            if (JsonNodes.GetString(condition["type"]) is RayClusterSuspending or RayClusterSuspended && JsonNodes.GetString(condition["status"]) == "True")
            {
                return JsonNodes.GetString(condition["type"]);
            }
        }
        return null;
    }

    /// <summary>True when the status differs from the stored one in anything but lastUpdateTime.</summary>
    public static bool Differs(JsonObject? old, JsonObject computed)
    {
        var a = old?.DeepClone() as JsonObject ?? new JsonObject();
        var b = (JsonObject)computed.DeepClone();
        a.Remove("lastUpdateTime");
        b.Remove("lastUpdateTime");
        return !JsonNodes.DeepEquals(a, b);
    }

    /// <summary>utils.CheckAllPodsRunning.</summary>
    public static bool AllPodsRunning(IReadOnlyList<JsonObject> pods)
    {
        if (pods.Count == 0)
        {
            return false;
        }
        foreach (var pod in pods)
        {
            if (PodInfo.Phase(pod) != "Running")
            {
                return false;
            }
            var ready = PodInfo.Condition(pod, "Ready");
            if (ready is not null && JsonNodes.GetString(ready["status"]) != "True")
            {
                return false;
            }
        }
        return true;
    }

    private static void SetCondition(List<JsonObject> conditions, string type, string status, string reason, string message, string now)
    {
        var existing = conditions.FirstOrDefault(c => JsonNodes.GetString(c["type"]) == type);
        if (existing is null)
        {
            conditions.Add(new JsonObject
            {
                ["type"] = type,
                ["status"] = status,
                ["lastTransitionTime"] = now,
                ["reason"] = reason,
                ["message"] = message,
            });
            return;
        }
        if (JsonNodes.GetString(existing["status"]) != status)
        {
            existing["status"] = status;
            existing["lastTransitionTime"] = now;
        }
        existing["reason"] = reason;
        existing["message"] = message;
    }

    private static JsonObject Endpoints(RayClusterSpec cluster, IReadOnlyList<JsonObject> services)
    {
        var endpoints = new JsonObject();
        var svc = services.FirstOrDefault(s => ObjectMeta.LabelMap(s).GetValueOrDefault(NodeTypeLabel) == "head"
            && ObjectMeta.LabelMap(s).GetValueOrDefault(RayClusterLabel) == cluster.Name);
        if (svc is null)
        {
            return endpoints;
        }
        var type = JsonNodes.StringAt(svc, "spec", "type") ?? "ClusterIP";
        foreach (var port in (JsonNodes.At(svc, "spec", "ports") as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            var name = JsonNodes.GetString(port["name"]);
            if (string.IsNullOrEmpty(name))
            {
                continue;
            }
            var value = type switch
            {
                "NodePort" or "LoadBalancer" => JsonNodes.GetInteger(port["nodePort"]),
                _ => JsonNodes.GetInteger(port["port"]),
            };
            if (type == "LoadBalancer")
            {
                value = JsonNodes.GetInteger(port["port"]);
            }
            endpoints[name] = (value ?? 0).ToString(CultureInfo.InvariantCulture);
        }
        return endpoints;
    }

    private static JsonObject HeadInfo(RayClusterSpec cluster, JsonObject? head, IReadOnlyList<JsonObject> services)
    {
        var info = new JsonObject();
        var podIp = head is null ? null : JsonNodes.StringAt(head, "status", "podIP");
        if (!string.IsNullOrEmpty(podIp))
        {
            info["podIP"] = podIp;
        }
        var svc = services.FirstOrDefault(s => ObjectMeta.LabelMap(s).GetValueOrDefault(NodeTypeLabel) == "head"
            && ObjectMeta.LabelMap(s).GetValueOrDefault(RayClusterLabel) == cluster.Name);
        if (svc is not null)
        {
            var clusterIp = JsonNodes.StringAt(svc, "spec", "clusterIP");
            var serviceIp = clusterIp == "None" ? podIp : clusterIp;
            if (JsonNodes.StringAt(svc, "spec", "type") == "LoadBalancer"
                && JsonNodes.At(svc, "status", "loadBalancer", "ingress") is JsonArray { Count: > 0 } ingress)
            {
                serviceIp = JsonNodes.GetString(ingress[0]?["ip"]) ?? JsonNodes.GetString(ingress[0]?["hostname"]) ?? serviceIp;
            }
            if (!string.IsNullOrEmpty(serviceIp))
            {
                info["serviceIP"] = serviceIp;
            }
        }
        if (head is not null)
        {
            info["podName"] = ObjectMeta.Name(head);
        }
        if (svc is not null)
        {
            info["serviceName"] = ObjectMeta.Name(svc);
        }
        return info;
    }

    /// <summary>The summed CPU/memory/GPU/TPU of the head and the desired workers, formatted as quantities.</summary>
    public static (string Cpu, string Memory, string Gpu, string Tpu) DesiredResources(RayClusterSpec cluster)
    {
        var totals = new Dictionary<string, (decimal Value, string Format)>(StringComparer.Ordinal);
        void AddPod(JsonObject? template, long replicas)
        {
            if (replicas <= 0)
            {
                return;
            }
            foreach (var container in (JsonNodes.At(template, "spec", "containers") as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                var merged = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
                if (JsonNodes.At(container, "resources", "requests") is JsonObject requests)
                {
                    foreach (var (k, v) in requests)
                    {
                        merged[k] = v;
                    }
                }
                if (JsonNodes.At(container, "resources", "limits") is JsonObject limits)
                {
                    foreach (var (k, v) in limits)
                    {
                        merged.TryAdd(k, v);
                    }
                }
                foreach (var (name, node) in merged)
                {
                    var text = JsonNodes.GetString(node) ?? (JsonNodes.TryGetDouble(node, out var d) ? d.ToString(CultureInfo.InvariantCulture) : null);
                    if (text is null || !Quantity.TryParse(text, out var value, out var format))
                    {
                        continue;
                    }
                    totals[name] = totals.TryGetValue(name, out var t) ? (t.Value + value * replicas, t.Format) : (value * replicas, format);
                }
            }
        }
        AddPod(cluster.HeadTemplate, 1);
        foreach (var group in cluster.Groups.Where(g => !g.Suspend))
        {
            AddPod(group.Template, group.DesiredReplicas);
        }
        string Get(string name) => totals.TryGetValue(name, out var t) ? Quantity.Format(t.Value, t.Format) : "0";
        var gpu = totals.Where(kv => kv.Key.EndsWith("gpu", StringComparison.Ordinal) && kv.Value.Value != 0).ToList();
        var gpuText = gpu.Count == 0 ? "0" : Quantity.Format(gpu.Sum(g => g.Value.Value), gpu[0].Value.Format);
        return (Get("cpu"), Get("memory"), gpuText, Get("google.com/tpu"));
    }
}
