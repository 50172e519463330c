using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using RayPS.Kube;

namespace RayPS.Client.Tests.WorkerGroups;

/// <summary>
/// A deterministic stand-in for the API server with one RayCluster, Deployments and pods, enough for the
/// worker-group operations: JSON patches are applied with a small RFC 6902 implementation (a failed test is
/// the server's generic 422), scale patches and POSTs of Deployments work, and every request is recorded.
/// <see cref="BeforePatch"/> runs just before a RayCluster patch is applied, to simulate a concurrent writer.
/// </summary>
internal sealed class FakeClusterApi : DelegatingHandler
{
    private readonly object _gate = new();
    private long _rv = 100;

    public JsonObject? Cluster { get; set; }
    public List<JsonObject> Deployments { get; } = new();
    public List<JsonObject> Pods { get; } = new();
    public List<string> Requests { get; } = new();
    public List<JsonNode> Patches { get; } = new();
    public Action<FakeClusterApi>? BeforePatch { get; set; }

    public KubeConnection Connect()
    {
        var config = new KubernetesClientConfiguration { Host = "https://fake.example:6443", AccessToken = "test-token-not-secret", Namespace = "default" };
        return KubeConnection.Create(config, "fake-context", new RetryHandler { BaseDelay = TimeSpan.FromMilliseconds(1) }, this);
    }

    public int Count(string verbAndPrefix)
    {
        lock (_gate)
        {
            return Requests.Count(r => r.StartsWith(verbAndPrefix, StringComparison.Ordinal));
        }
    }

    /// <summary>The RayCluster's worker groups as (name, replicas).</summary>
    public IReadOnlyList<(string Name, int Replicas)> Groups()
    {
        lock (_gate)
        {
            return ((JsonArray)Cluster!["spec"]!["workerGroupSpecs"]!).Select(g => (g!["groupName"]!.GetValue<string>(), g["replicas"]?.GetValue<int>() ?? 0)).ToList();
        }
    }

    public void Mutate(Action<JsonObject> change)
    {
        lock (_gate)
        {
            var before = Cluster!["spec"]!.DeepClone();
            change(Cluster!);
            BumpGenerationIfSpecChanged(before, Cluster!);
            Bump(Cluster!);
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var path = request.RequestUri!.AbsolutePath;
        var query = Uri.UnescapeDataString(request.RequestUri.Query);
        lock (_gate)
        {
            Requests.Add($"{request.Method} {path}{query}");
        }

        if (path.StartsWith("/apis/ray.io/v1/namespaces/default/rayclusters/", StringComparison.Ordinal))
        {
            if (request.Method == HttpMethod.Patch)
            {
                BeforePatch?.Invoke(this);
            }
            lock (_gate)
            {
                var name = path.Split('/')[^1];
                if (Cluster is null || Cluster["metadata"]!["name"]!.GetValue<string>() != name)
                {
                    return NotFound("rayclusters", "ray.io", name);
                }
                if (request.Method == HttpMethod.Get)
                {
                    return Json(200, Cluster);
                }
                var patch = JsonNode.Parse(body!)!;
                Patches.Add(patch);
                try
                {
                    var patched = MiniJsonPatch.Apply(Cluster, patch);
                    BumpGenerationIfSpecChanged(Cluster["spec"], patched);
                    Cluster = patched;
                    Bump(Cluster);
                    return Json(200, Cluster);
                }
                catch (MiniJsonPatch.FailedException)
                {
                    return Json(422, JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}""")!);
                }
            }
        }

        lock (_gate)
        {
            if (path == "/apis/apps/v1/namespaces/default/deployments" && request.Method == HttpMethod.Get)
            {
                var cluster = query.Split("ray.io/cluster=")[1];
                var items = Deployments.Where(d => d["metadata"]!["labels"]?["ray.io/cluster"]?.GetValue<string>() == cluster).Select(d => d.DeepClone()).ToArray();
                return Json(200, new JsonObject { ["kind"] = "DeploymentList", ["items"] = new JsonArray(items) });
            }
            if (path == "/apis/apps/v1/namespaces/default/deployments" && request.Method == HttpMethod.Post)
            {
                var deployment = JsonNode.Parse(body!)!.AsObject();
                var name = deployment["metadata"]!["name"]!.GetValue<string>();
                if (Deployments.Any(d => d["metadata"]!["name"]!.GetValue<string>() == name))
                {
                    return Json(409, JsonNode.Parse($$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"{{name}}\" already exists","reason":"AlreadyExists","details":{"name":"{{name}}","group":"apps","kind":"deployments"},"code":409}""")!);
                }
                Bump(deployment);
                Deployments.Add(deployment);
                return Json(201, deployment);
            }
            if (path.StartsWith("/apis/apps/v1/namespaces/default/deployments/", StringComparison.Ordinal))
            {
                var name = path.Split('/')[7];
                var deployment = Deployments.FirstOrDefault(d => d["metadata"]!["name"]!.GetValue<string>() == name);
                if (deployment is null)
                {
                    return NotFound("deployments", "apps", name);
                }
                if (path.EndsWith("/scale", StringComparison.Ordinal) && request.Method == HttpMethod.Patch)
                {
                    deployment["spec"]!["replicas"] = JsonNode.Parse(body!)!["spec"]!["replicas"]!.GetValue<int>();
                    Bump(deployment);
                    return Json(200, new JsonObject
                    {
                        ["kind"] = "Scale",
                        ["apiVersion"] = "autoscaling/v1",
                        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default", ["resourceVersion"] = deployment["metadata"]!["resourceVersion"]!.DeepClone() },
                        ["spec"] = new JsonObject { ["replicas"] = deployment["spec"]!["replicas"]!.DeepClone() },
                        ["status"] = new JsonObject { ["replicas"] = 0 },
                    });
                }
                if (request.Method == HttpMethod.Patch)
                {
                    try
                    {
                        var patched = MiniJsonPatch.Apply(deployment, JsonNode.Parse(body!)!);
                        Deployments[Deployments.IndexOf(deployment)] = patched;
                        Bump(patched);
                        return Json(200, patched);
                    }
                    catch (MiniJsonPatch.FailedException)
                    {
                        return Json(422, JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}""")!);
                    }
                }
                return Json(200, deployment);
            }
            if (path == "/api/v1/namespaces/default/pods")
            {
                var selector = query.Replace("?labelSelector=", "").Split(',').Select(s => s.Split('=')).ToList();
                var items = Pods.Where(p => selector.All(s => p["metadata"]!["labels"]?[s[0]]?.GetValue<string>() == s[1])).Select(p => p.DeepClone()).ToArray();
                return Json(200, new JsonObject { ["kind"] = "PodList", ["items"] = new JsonArray(items) });
            }
        }
        if (path == "/api/v1/namespaces/default/services/ray-cluster-head-svc:dashboard/proxy/nodes" && NodeActivity is { } activity)
        {
            // The head dashboard's node summary: one Ray node per pod, matched by host name (the pod's name).
            var summary = new JsonArray(activity.Select(a => (JsonNode?)new JsonObject
            {
                ["hostname"] = a.Key,
                ["raylet"] = new JsonObject
                {
                    ["nodeId"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(a.Key)))[..56].ToLowerInvariant(),
                    ["state"] = "ALIVE",
                    ["isHeadNode"] = false,
                    ["stateSnapshot"] = new JsonObject { ["state"] = a.Value, ["idleDurationMs"] = a.Value == "IDLE" ? "5000" : "0", ["nodeActivity"] = new JsonArray() },
                },
            }).ToArray());
            return Json(200, new JsonObject { ["result"] = true, ["msg"] = "Node summary fetched.", ["data"] = new JsonObject { ["summary"] = summary } });
        }
        return Json(404, new JsonObject { ["kind"] = "Status", ["code"] = 404, ["message"] = "unexpected " + path });
    }

    /// <summary>Pod name -> stateSnapshot.state (IDLE, ACTIVE) served as the head's node summary; null: the proxy answers 404.</summary>
    public Dictionary<string, string>? NodeActivity { get; set; }

    // As the API server does for a custom resource with a status subresource: generation counts spec changes.
    private static void BumpGenerationIfSpecChanged(JsonNode? specBefore, JsonObject obj)
    {
        if (!JsonNode.DeepEquals(specBefore, obj["spec"]))
        {
            var generation = long.Parse(obj["metadata"]!["generation"]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
            obj["metadata"]!["generation"] = generation + 1;
        }
    }

    private void Bump(JsonObject obj)
    {
        obj["metadata"]!["resourceVersion"] = (++_rv).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static HttpResponseMessage NotFound(string kind, string group, string name) =>
        Json(404, JsonNode.Parse($$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"{{kind}}.{{group}} \"{{name}}\" not found","reason":"NotFound","details":{"name":"{{name}}","group":"{{group}}","kind":"{{kind}}"},"code":404}""")!);

    private static HttpResponseMessage Json(int status, JsonNode body) => new((HttpStatusCode)status)
    {
        Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
    };

    /// <summary>The object as the server would send it: parsed from text, as every object the client reads is.</summary>
    public static JsonObject Reparse(JsonObject obj) => JsonNode.Parse(obj.ToJsonString())!.AsObject();

    /// <summary>A RayCluster "ray-cluster" with the given groups (name, replicas, min, max).</summary>
    public static JsonObject NewCluster(bool autoscaling = false, params (string Name, int Replicas, int Min, int Max)[] groups)
    {
        var array = new JsonArray();
        foreach (var (name, replicas, min, max) in groups)
        {
            array.Add(new JsonObject
            {
                ["groupName"] = name,
                ["replicas"] = replicas,
                ["minReplicas"] = min,
                ["maxReplicas"] = max,
                ["numOfHosts"] = 1,
                ["rayStartParams"] = new JsonObject { ["resources"] = "'{\"ascend\":20}'" },
                ["template"] = JsonNode.Parse("""{"spec":{"containers":[{"name":"ray-worker","image":"rayproject/ray:2.46.0","resources":{"limits":{"cpu":"12","memory":"40Gi","huawei.com/Ascend910B":"1","huawei.com/Ascend910B-memory":"16384"},"requests":{"cpu":"12","memory":"40Gi"}}}]}}"""),
            });
        }
        var spec = new JsonObject
        {
            ["rayVersion"] = "2.46.0",
            ["headGroupSpec"] = JsonNode.Parse("""{"rayStartParams":{},"template":{"spec":{"containers":[{"name":"ray-head","image":"rayproject/ray:2.46.0"}]}}}"""),
            ["workerGroupSpecs"] = array,
        };
        if (autoscaling)
        {
            spec["enableInTreeAutoscaling"] = true;
        }
        return Reparse(new JsonObject
        {
            ["apiVersion"] = "ray.io/v1",
            ["kind"] = "RayCluster",
            ["metadata"] = new JsonObject { ["name"] = "ray-cluster", ["namespace"] = "default", ["resourceVersion"] = "1", ["generation"] = 1 },
            ["spec"] = spec,
            // As the operator reports it; RayCluster.FromJson sums group bounds itself only when status is missing.
            ["status"] = new JsonObject { ["state"] = "ready", ["maxWorkerReplicas"] = 2147483647, ["minWorkerReplicas"] = 0 },
        });
    }

    public static JsonObject NewPod(string name, string group, string phase = "Running", bool ready = true, string created = "2026-01-01T00:00:00Z", string? owner = null)
    {
        var pod = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = "default",
                ["creationTimestamp"] = created,
                ["labels"] = new JsonObject { ["ray.io/cluster"] = "ray-cluster", ["ray.io/group"] = group, ["ray.io/node-type"] = "worker" },
            },
            ["status"] = new JsonObject
            {
                ["phase"] = phase,
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" }),
            },
        };
        if (owner is not null)
        {
            pod["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["kind"] = owner, ["name"] = "x" });
        }
        return Reparse(pod);
    }
}
