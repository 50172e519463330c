using System.Globalization;
using System.Text.Json.Nodes;

namespace RayPS.Client.Tests.NodeHealth;

/// <summary>Pods, Deployments, RayClusters and Ray node rows shaped like the real API's (see shared/kube-golden and shared/ray-api beside the repository).</summary>
internal static class RayFixtures
{
    public static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-03-01T12:00:00Z", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static PodBuilder Head(string name = "ray-cluster-head-x7k2p", string ip = "10.244.0.9") =>
        new PodBuilder(name, ip, "head", "headgroup", "ray-head");

    public static PodBuilder Worker(string name, string ip, string group = "workergroup") =>
        new PodBuilder(name, ip, "worker", group, "ray-worker");

    /// <summary>A node row of /api/v0/nodes?detail=true (snake_case, raw resource names, numeric times).</summary>
    public static JsonObject RayNode(string id, string ip, bool head = false, string state = "ALIVE", string? message = null,
        DateTimeOffset? start = null, DateTimeOffset? end = null, JsonObject? resources = null) => new()
    {
        ["node_id"] = id,
        ["node_ip"] = ip,
        ["is_head_node"] = head,
        ["state"] = state,
        ["state_message"] = message,
        ["node_name"] = ip,
        ["resources_total"] = resources ?? (head
            ? new JsonObject { ["memory"] = 8589934592.0, ["object_store_memory"] = 2147483648.0, [$"node:{ip}"] = 1.0, ["node:__internal_head__"] = 1.0 }
            : new JsonObject { ["CPU"] = 12.0, ["memory"] = 20000000000.0, ["object_store_memory"] = 4294967296.0, ["ascend"] = 20.0, ["NPU"] = 1.0, [$"node:{ip}"] = 1.0 }),
        ["labels"] = new JsonObject { ["ray.io/node-id"] = id },
        ["start_time_ms"] = (start ?? Now.AddMinutes(-110)).ToUnixTimeMilliseconds(),
        ["end_time_ms"] = end?.ToUnixTimeMilliseconds() ?? 0,
    };

    public static string NodeId(int i) => i.ToString("x56", CultureInfo.InvariantCulture);

    /// <summary>A seed-style worker Deployment (section 3), labelled with the cluster and group.</summary>
    public static JsonObject Deployment(string name, string group, int replicas, string ns = "default", string cluster = "ray-cluster") => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = name, ["namespace"] = ns,
            ["labels"] = new JsonObject { ["ray.io/cluster"] = cluster, ["ray.io/group"] = group },
        },
        ["spec"] = new JsonObject { ["replicas"] = replicas, ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["ray.io/identifier"] = "ray-cluster-npu-worker" } } },
        ["status"] = new JsonObject { ["replicas"] = replicas, ["readyReplicas"] = replicas },
    };

    public static JsonObject RayCluster(string name, string? state = "ready", string ns = "default", bool suspend = false) => new()
    {
        ["apiVersion"] = "ray.io/v1", ["kind"] = "RayCluster",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new JsonObject { ["rayVersion"] = "2.46.0", ["suspend"] = suspend },
        ["status"] = state is null ? new JsonObject() : new JsonObject { ["state"] = state },
    };
}

/// <summary>Builds a pod as the API server returns it, Running and Ready unless told otherwise.</summary>
internal sealed class PodBuilder
{
    private readonly JsonObject _pod;

    public PodBuilder(string name, string ip, string nodeType, string group, string container)
    {
        _pod = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = name, ["namespace"] = "default", ["creationTimestamp"] = RayFixtures.Time(RayFixtures.Now.AddHours(-2)),
                ["labels"] = new JsonObject { ["ray.io/cluster"] = "ray-cluster", ["ray.io/node-type"] = nodeType, ["ray.io/group"] = group },
                ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "ray.io/v1", ["kind"] = "RayCluster", ["name"] = "ray-cluster", ["controller"] = true }),
            },
            ["spec"] = new JsonObject
            {
                ["nodeName"] = "kind-worker",
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = container, ["image"] = "rayproject/ray:2.46.0",
                    ["args"] = new JsonArray("ulimit -n 65536; ray start --block --dashboard-agent-listen-port=52365 --metrics-export-port=8080"),
                }),
            },
            ["status"] = new JsonObject
            {
                ["phase"] = "Running", ["podIP"] = ip,
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "PodScheduled", ["status"] = "True" }, new JsonObject { ["type"] = "Ready", ["status"] = "True" }),
                ["containerStatuses"] = new JsonArray(new JsonObject
                {
                    ["name"] = container, ["ready"] = true, ["restartCount"] = 0, ["image"] = "rayproject/ray:2.46.0",
                    ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = RayFixtures.Time(RayFixtures.Now.AddHours(-2)) } },
                }),
            },
        };
    }

    private JsonObject Status => _pod["status"]!.AsObject();
    private JsonObject ContainerStatus => Status["containerStatuses"]![0]!.AsObject();

    public PodBuilder Labels(params (string Key, string? Value)[] labels)
    {
        var map = _pod["metadata"]!["labels"]!.AsObject();
        foreach (var (key, value) in labels)
        {
            if (value is null) map.Remove(key); else map[key] = value;
        }
        return this;
    }

    public PodBuilder Namespace(string ns)
    {
        _pod["metadata"]!["namespace"] = ns;
        return this;
    }

    public PodBuilder Created(DateTimeOffset t)
    {
        _pod["metadata"]!["creationTimestamp"] = RayFixtures.Time(t);
        return this;
    }

    /// <summary>Owned by a ReplicaSet of a Deployment, as the seed's Deployment workers are (golden 59).</summary>
    public PodBuilder OwnedByReplicaSet(string replicaSet, string hash)
    {
        _pod["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = replicaSet, ["controller"] = true });
        return Labels(("pod-template-hash", hash));
    }

    public PodBuilder NotReady()
    {
        Status["conditions"]![1]!["status"] = "False";
        ContainerStatus["ready"] = false;
        return this;
    }

    /// <summary>Pending and unscheduled: no node, no IP, PodScheduled False (Unschedulable).</summary>
    public PodBuilder Unschedulable(string message)
    {
        _pod["spec"]!.AsObject().Remove("nodeName");
        Status["phase"] = "Pending";
        Status.Remove("podIP");
        Status.Remove("containerStatuses");
        Status["conditions"] = new JsonArray(new JsonObject { ["type"] = "PodScheduled", ["status"] = "False", ["reason"] = "Unschedulable", ["message"] = message });
        return this;
    }

    /// <summary>Pending on a node whose kubelet cannot pull the image.</summary>
    public PodBuilder ImagePullBackOff(string image)
    {
        _pod["spec"]!["containers"]![0]!["image"] = image;
        Status["phase"] = "Pending";
        Status.Remove("podIP");
        Status["conditions"]![1]!["status"] = "False";
        ContainerStatus["ready"] = false;
        ContainerStatus["image"] = image;
        ContainerStatus["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ImagePullBackOff", ["message"] = $"Back-off pulling image \"{image}\"" } };
        return this;
    }

    public PodBuilder Restarted(int restarts, string reason, DateTimeOffset finishedAt, int exitCode = 137)
    {
        ContainerStatus["restartCount"] = restarts;
        ContainerStatus["lastState"] = new JsonObject { ["terminated"] = new JsonObject { ["reason"] = reason, ["exitCode"] = exitCode, ["finishedAt"] = RayFixtures.Time(finishedAt) } };
        return this;
    }

    public PodBuilder CrashLoopBackOff()
    {
        ContainerStatus["ready"] = false;
        ContainerStatus["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "CrashLoopBackOff", ["message"] = "back-off 5m0s restarting failed container" } };
        Status["conditions"]![1]!["status"] = "False";
        return this;
    }

    public PodBuilder Terminating(DateTimeOffset since)
    {
        _pod["metadata"]!["deletionTimestamp"] = RayFixtures.Time(since);
        return this;
    }

    public PodBuilder Failed(string reason, string message)
    {
        Status["phase"] = "Failed";
        Status["reason"] = reason;
        Status["message"] = message;
        return this;
    }

    public PodBuilder Args(string args)
    {
        _pod["spec"]!["containers"]![0]!["args"] = new JsonArray(args);
        return this;
    }

    public JsonObject Build() => (JsonObject)_pod.DeepClone();

    public static implicit operator JsonObject(PodBuilder b) => b.Build();
}
