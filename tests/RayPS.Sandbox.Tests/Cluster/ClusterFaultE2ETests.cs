using System.Diagnostics;
using System.Globalization;
using System.Text;
using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Ray;

namespace RayPS.Sandbox.Tests.Cluster;

/// <summary>Fault injection through pod annotations and images, end to end.</summary>
public class ClusterFaultE2ETests
{
    private const string Clusters = "/apis/ray.io/v1/namespaces/default/rayclusters";

    private static string Agent(string pod) => $"/api/v1/namespaces/default/pods/{pod}:52365/proxy/api/local_raylet_healthz";

    private static async Task<(SimHarness H, JsonObject Worker)> ReadyCluster(int replicas = 1)
    {
        var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, KubeRayE2ETests.SampleCluster(replicas: replicas));
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
        return (h, h.Pods("default", "ray.io/node-type", "worker").First());
    }

    private static Task Annotate(SimHarness h, string pod, string key, string? value) =>
        h.PatchAsync($"/api/v1/namespaces/default/pods/{pod}",
            "{\"metadata\":{\"annotations\":{\"" + key + "\":" + (value is null ? "null" : "\"" + value + "\"") + "}}}");

    private static long RestartCount(JsonObject pod) =>
        (JsonNodes.At(pod, "status", "containerStatuses") as JsonArray)?.OfType<JsonObject>().Sum(c => JsonNodes.GetInteger(c["restartCount"]) ?? 0) ?? 0;

    private static async Task<long> FirstRestartRevision(SimHarness h, string pod, string from)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in h.Store.WatchAsync(Gvr.Pods, "default", new WatchOptions { ResourceVersion = from }, timeout.Token))
        {
            if (ObjectMeta.Name(e.Object) == pod && RestartCount(e.Object) >= 1)
            {
                return long.Parse(ObjectMeta.ResourceVersion(e.Object), CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException("the watch ended before the restart");
    }

    [Fact]
    public async Task UnhealthyRayletFailsTheLivenessProbeAndRestartsTheContainer()
    {
        var (h, worker) = await ReadyCluster();
        await using var _ = h;
        var name = ObjectMeta.Name(worker);
        var ray = h.Sim.Ray.Find("default", "raycluster-kuberay")!;
        var nodeBefore = h.Sim.Ray.NodeForPod("default", name)!.NodeId;
        var before = h.Store.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        await Annotate(h, name, SandboxAnnotations.RayletHealthy, "false");
        // KubeRay's liveness probe: 120 failures x 5 s at 2 ms per probe-second = 1.2 s (plus the 30 s initial delay); the wait
        // allows far more, for a machine busy with other work.
        await SimHarness.WaitUntilAsync(() => RestartCount(h.Store.Get(Gvr.Pods, "default", name)) >= 1, TimeSpan.FromSeconds(30), "liveness restart");
        var events = h.Store.ListItems(Gvr.Events, "default").Where(e => JsonNodes.StringAt(e, "involvedObject", "name") == name).ToList();
        Assert.Contains(events, e => JsonNodes.GetString(e["reason"]) == "Unhealthy"
            && JsonNodes.GetString(e["message"]) == "Liveness probe failed: wget: server returned error: HTTP/1.1 503 Local Raylet failed\n"
            && JsonNodes.StringAt(e, "involvedObject", "fieldPath") == "spec.containers{ray-worker}"
            && JsonNodes.StringAt(e, "source", "host") == JsonNodes.StringAt(worker, "spec", "nodeName"));
        var killing = Assert.Single(events, e => JsonNodes.GetString(e["reason"]) == "Killing" && JsonNodes.GetString(e["message"]) == "Container ray-worker failed liveness probe, will be restarted");
        // As a kubelet does, the Killing event is written before the status that counts the restart.
        Assert.True(long.Parse(ObjectMeta.ResourceVersion(killing), CultureInfo.InvariantCulture) < await FirstRestartRevision(h, name, before));
        // The restarted raylet registered as a new node; the old one is DEAD.
        await SimHarness.WaitUntilAsync(() => h.Sim.Ray.NodeForPod("default", name)?.NodeId is { } id && id != nodeBefore, what: "new node id");
        Assert.Equal(RayNodeState.Dead, ray.Nodes.Single(n => n.NodeId == nodeBefore).State);
        Assert.Equal("Error", JsonNodes.StringAt((JsonObject)h.Store.Get(Gvr.Pods, "default", name)["status"]!["containerStatuses"]![0]!, "lastState", "terminated", "reason"));
        // Readiness failed before liveness did: the pod went not-ready and the cluster counted it.
        await Annotate(h, name, SandboxAnnotations.RayletHealthy, null);
        await SimHarness.WaitUntilAsync(async () => (await h.GetAsync(Agent(name))).Status == 200, what: "healthy again");
    }

    [Fact]
    public async Task OomKilledContainersRestartWithBackOff()
    {
        var (h, worker) = await ReadyCluster();
        await using var _ = h;
        var name = ObjectMeta.Name(worker);
        await Annotate(h, name, SandboxAnnotations.OomAfterMs, "50");
        await SimHarness.WaitUntilAsync(() => RestartCount(h.Store.Get(Gvr.Pods, "default", name)) >= 2, TimeSpan.FromSeconds(30), "two OOM restarts");
        var status = (JsonObject)h.Store.Get(Gvr.Pods, "default", name)["status"]!["containerStatuses"]![0]!;
        Assert.Equal("OOMKilled", JsonNodes.StringAt(status, "lastState", "terminated", "reason"));
        Assert.Equal(137, JsonNodes.GetInteger(JsonNodes.At(status, "lastState", "terminated", "exitCode")));
        var ray = h.Sim.Ray.Find("default", "raycluster-kuberay")!;
        Assert.True(ray.Nodes.Count(n => n.PodName == name && n.State == RayNodeState.Dead) >= 2);
        await SimHarness.WaitUntilAsync(() => h.Store.ListItems(Gvr.Events, "default").Any(e => JsonNodes.GetString(e["reason"]) == "BackOff"), what: "BackOff event");
        await Annotate(h, name, SandboxAnnotations.OomAfterMs, null);
    }

    [Fact]
    public async Task DeadNodeStateAndProbeLatency()
    {
        var (h, worker) = await ReadyCluster();
        await using var _ = h;
        var name = ObjectMeta.Name(worker);
        await Annotate(h, name, SandboxAnnotations.ProbeLatencyMs, "300");
        var sw = Stopwatch.StartNew();
        Assert.Equal((200, "success"), await h.GetAsync(Agent(name)));
        Assert.True(sw.ElapsedMilliseconds >= 280, $"answered after {sw.ElapsedMilliseconds} ms");
        await Annotate(h, name, SandboxAnnotations.ProbeLatencyMs, null);

        await Annotate(h, name, SandboxAnnotations.RayNodeState, "DEAD");
        await SimHarness.WaitUntilAsync(() => h.Sim.Ray.NodeForPod("default", name)?.State == RayNodeState.Dead, what: "node DEAD");
        var (status, body) = await h.GetAsync("/api/v1/namespaces/default/services/raycluster-kuberay-head-svc:dashboard/proxy/api/v0/nodes?filter_keys=state&filter_predicates=%3D&filter_values=DEAD");
        Assert.Equal(200, status);
        var dead = JsonNode.Parse(body)!["data"]!["result"]!["result"]!.AsArray().Single()!;
        Assert.Equal(JsonNodes.StringAt(h.Store.Get(Gvr.Pods, "default", name), "status", "podIP"), dead["node_ip"]!.GetValue<string>());
        Assert.Equal(503, (await h.GetAsync(Agent(name))).Status);
    }

    [Fact]
    public async Task HeadDownMakesGcsUnreachableAndTheHeadIsRecreated()
    {
        var (h, worker) = await ReadyCluster();
        await using var _ = h;
        var head = h.Pods("default", "ray.io/node-type", "head").Single();
        var headName = ObjectMeta.Name(head);
        var sessionBefore = h.Sim.Ray.Find("default", "raycluster-kuberay")!.SessionName;
        await h.DeleteAsync($"/api/v1/namespaces/default/pods/{headName}");
        await SimHarness.WaitUntilAsync(() => !h.Sim.Ray.Find("default", "raycluster-kuberay")!.GcsUp, what: "GCS down");
        // GCS unreachable: the worker's raylet check deliberately stays 200.
        Assert.Equal((200, "success"), await h.GetAsync(Agent(ObjectMeta.Name(worker))));
        await h.WaitAsync(() => h.Pods("default", "ray.io/node-type", "head") is [var p] && ObjectMeta.Name(p) != headName && PodInfo.IsRunningAndReady(p),
            what: "new head");
        var ray = h.Sim.Ray.Find("default", "raycluster-kuberay")!;
        Assert.True(ray.GcsUp);
        Assert.NotEqual(sessionBefore, ray.SessionName);
        Assert.Equal(2, ray.AliveNodes.Count); // the worker rejoined the new GCS
        // Once the endpoints controller has caught up, the service reaches the new head.
        await SimHarness.WaitUntilAsync(async () => await h.GetAsync("/api/v1/namespaces/default/services/raycluster-kuberay-head-svc:dashboard/proxy/api/gcs_healthz") == (200, "success"),
            what: "service proxy to the new head");
    }

    [Fact]
    public async Task MissingImageLeavesThePodPendingInImagePullBackOff()
    {
        await using var h = await SimHarness.StartAsync();
        var raw = KubeRayE2ETests.SampleCluster("badimage", replicas: 1);
        TestClusters.Group(raw)["template"]!["spec"]!["containers"]![0]!["image"] = "rayproject/ray:does-not-exist";
        await h.CreateAsync(Clusters, raw);
        await SimHarness.WaitUntilAsync(() => h.Pods("default", "ray.io/node-type", "worker").Any(p =>
            JsonNodes.StringAt((JsonObject?)((JsonArray?)JsonNodes.At(p, "status", "initContainerStatuses"))?[0], "state", "waiting", "reason") == "ImagePullBackOff"),
            what: "ImagePullBackOff");
        var worker = h.Pods("default", "ray.io/node-type", "worker").Single();
        Assert.Equal("Pending", PodInfo.Phase(worker));
        var events = h.Store.ListItems(Gvr.Events, "default").Where(e => JsonNodes.StringAt(e, "involvedObject", "name") == ObjectMeta.Name(worker)).ToList();
        Assert.Contains(events, e => JsonNodes.GetString(e["message"]) == "Error: ErrImagePull");
        Assert.Contains(events, e => JsonNodes.GetString(e["reason"]) == "BackOff");
        Assert.NotEqual("ready", JsonNodes.StringAt(h.RayCluster("default", "badimage"), "status", "state"));
    }

    [Fact]
    public async Task StartDelayAnnotationHoldsThePodInContainerCreating()
    {
        await using var h = await SimHarness.StartAsync();
        var raw = KubeRayE2ETests.SampleCluster("slow", replicas: 1);
        TestClusters.Group(raw)["template"]!["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [SandboxAnnotations.StartDelayMs] = "600" } };
        var sw = Stopwatch.StartNew();
        await h.CreateAsync(Clusters, raw);
        await h.WaitForReadyAsync("default", "slow");
        Assert.True(sw.ElapsedMilliseconds >= 550, $"ready after {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task UnhealthyGcsFailsTheHeadChecksWhileWorkersKeepRunning()
    {
        await using var h = await SimHarness.StartAsync();
        var raw = KubeRayE2ETests.SampleCluster("headdown", replicas: 1);
        raw["spec"]!["headGroupSpec"]!["template"]!["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [SandboxAnnotations.GcsHealthy] = "false" } };
        await h.CreateAsync(Clusters, raw);
        await h.WaitAsync(() => h.Pods("default", "ray.io/node-type", "worker").Any(PodInfo.IsRunningAndReady), "worker running");
        var dashboard = "/api/v1/namespaces/default/pods/" + ObjectMeta.Name(h.Pods("default", "ray.io/node-type", "head").Single()) + ":8265/proxy";
        var (status, body) = await h.GetAsync(dashboard + "/api/gcs_healthz");
        Assert.Equal(503, status);
        Assert.StartsWith("503: Health check failed:", body);
        Assert.Equal(500, (await h.GetAsync(dashboard + "/api/v0/nodes?limit=10000&detail=true")).Status);
        var worker = ObjectMeta.Name(h.Pods("default", "ray.io/node-type", "worker").Single());
        Assert.Equal((200, "success"), await h.GetAsync(Agent(worker)));
        // The head's own probes include the GCS check: it never becomes ready.
        Assert.False(PodInfo.IsRunningAndReady(h.Pods("default", "ray.io/node-type", "head").Single()));
    }
}
