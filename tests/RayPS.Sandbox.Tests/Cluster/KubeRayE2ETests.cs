using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Ray;

namespace RayPS.Sandbox.Tests.Cluster;

/// <summary>End to end through the sandbox's HTTPS API: RayCluster → operator → pods → kubelet → Ray.</summary>
public class KubeRayE2ETests
{
    private const string Clusters = "/apis/ray.io/v1/namespaces/default/rayclusters";

    internal static JsonObject SampleCluster(string name = "raycluster-kuberay", int replicas = 2)
    {
        var raw = TestClusters.Sample();
        var meta = (JsonObject)raw["metadata"]!;
        meta.Remove("uid");
        meta.Remove("generation");
        meta["name"] = name;
        TestClusters.Group(raw)["replicas"] = replicas;
        return raw;
    }

    [Fact]
    public async Task RayClusterBecomesReadyWithKubeRayPodsAndStatus()
    {
        await using var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, SampleCluster());
        await h.WaitForReadyAsync("default", "raycluster-kuberay");

        var pods = h.Pods("default", "ray.io/cluster", "raycluster-kuberay");
        Assert.Equal(3, pods.Count);
        var head = Assert.Single(pods, p => PodInfo.Label(p, "ray.io/node-type") == "head");
        Assert.Matches("^raycluster-kuberay-head-[a-z0-9]{5}$", ObjectMeta.Name(head));
        Assert.All(pods.Where(p => p != head), p => Assert.Matches("^raycluster-kuberay-workergroup-worker-[a-z0-9]{5}$", ObjectMeta.Name(p)));
        Assert.All(pods, p =>
        {
            Assert.Equal("Running", PodInfo.Phase(p));
            Assert.True(PodInfo.IsRunningAndReady(p));
            Assert.Matches(@"^10\.244\.\d+\.\d+$", JsonNodes.StringAt(p, "status", "podIP"));
            Assert.StartsWith("sandbox-node-", JsonNodes.StringAt(p, "spec", "nodeName"));
            Assert.Equal("yes", PodInfo.Label(p, "ray.io/is-ray-node"));
        });

        // Read through the API like a client: the status subresource.
        var status = (JsonObject)(await h.GetJsonAsync(Clusters + "/raycluster-kuberay/status"))["status"]!;
        Assert.Equal("ready", JsonNodes.GetString(status["state"]));
        Assert.Equal(2, JsonNodes.GetInteger(status["readyWorkerReplicas"]));
        Assert.Equal(2, JsonNodes.GetInteger(status["availableWorkerReplicas"]));
        Assert.Equal(2, JsonNodes.GetInteger(status["desiredWorkerReplicas"]));
        Assert.Equal(1, JsonNodes.GetInteger(status["minWorkerReplicas"]));
        Assert.Equal(5, JsonNodes.GetInteger(status["maxWorkerReplicas"]));
        Assert.Equal("3", JsonNodes.GetString(status["desiredCPU"]));
        Assert.Equal("4G", JsonNodes.GetString(status["desiredMemory"]));
        Assert.Equal(ObjectMeta.Name(head), JsonNodes.StringAt(status, "head", "podName"));
        Assert.Equal(JsonNodes.StringAt(head, "status", "podIP"), JsonNodes.StringAt(status, "head", "podIP"));
        Assert.Equal("raycluster-kuberay-head-svc", JsonNodes.StringAt(status, "head", "serviceName"));
        Assert.Equal("10001", JsonNodes.StringAt(status, "endpoints", "client"));
        Assert.Equal(1, JsonNodes.GetInteger(status["observedGeneration"]));
        var conditions = ((JsonArray)status["conditions"]!).OfType<JsonObject>().ToDictionary(c => JsonNodes.GetString(c["type"])!);
        Assert.Equal("True", JsonNodes.GetString(conditions["HeadPodReady"]["status"]));
        Assert.Equal("True", JsonNodes.GetString(conditions["RayClusterProvisioned"]["status"]));
        Assert.False(conditions.ContainsKey("ReplicaFailure"));

        var svc = await h.GetJsonAsync("/api/v1/namespaces/default/services/raycluster-kuberay-head-svc");
        Assert.Equal("None", JsonNodes.StringAt(svc, "spec", "clusterIP"));
        var owner = (JsonObject)((JsonArray)head["metadata"]!["ownerReferences"]!)[0]!;
        Assert.Equal(ObjectMeta.Uid(h.RayCluster("default", "raycluster-kuberay")!), JsonNodes.GetString(owner["uid"]));

        var events = h.Store.ListItems(Gvr.Events, "default");
        Assert.Contains(events, e => JsonNodes.GetString(e["reason"]) == "CreatedHeadPod" && JsonNodes.GetString(e["message"]) == $"Created head Pod default/{ObjectMeta.Name(head)}");
        Assert.Contains(events, e => JsonNodes.GetString(e["reason"]) == "CreatedService");
        Assert.Contains(events, e => JsonNodes.GetString(e["reason"]) == "Scheduled" && JsonNodes.StringAt(e, "source", "component") == "default-scheduler");
        foreach (var reason in new[] { "Pulled", "Created", "Started" })
        {
            Assert.Contains(events, e => JsonNodes.GetString(e["reason"]) == reason && JsonNodes.StringAt(e, "source", "component") == "kubelet");
        }

        // The operator runs as kube-system/kuberay-operator; the nodes are registered.
        await SimHarness.WaitUntilAsync(() => h.Pods("kube-system", "app.kubernetes.io/name", "kuberay-operator").Any(PodInfo.IsRunningAndReady), what: "operator pod");
        var op = h.Store.Get(Gvr.Deployments, "kube-system", "kuberay-operator");
        Assert.Equal("quay.io/kuberay/operator:v1.4.2", JsonNodes.GetString(op["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]));
        Assert.Equal("True", ((JsonArray)h.Store.Get(Gvr.Nodes, null, "sandbox-node-1")["status"]!["conditions"]!).OfType<JsonObject>()
            .Single(c => JsonNodes.GetString(c["type"]) == "Ready")["status"]!.GetValue<string>());

        // Ray sees the head and both workers.
        var ray = h.Sim.Ray.Find("default", "raycluster-kuberay")!;
        Assert.Equal(3, ray.AliveNodes.Count);
        Assert.Equal(1.0, ray.AliveNodes.Single(n => !n.IsHead && n.PodName == ObjectMeta.Name(pods.First(p => p != head))).Resources["CPU"]);
    }

    [Fact]
    public async Task DashboardAndAgentThroughServiceAndPodProxy()
    {
        await using var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, SampleCluster(replicas: 1));
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
        var (status, body) = await h.GetAsync("/api/v1/namespaces/default/services/raycluster-kuberay-head-svc:dashboard/proxy/api/gcs_healthz");
        Assert.Equal((200, "success"), (status, body));
        (status, body) = await h.GetAsync("/api/v1/namespaces/default/services/raycluster-kuberay-head-svc:8265/proxy/nodes?view=summary");
        Assert.Equal(200, status);
        Assert.Equal(2, JsonNode.Parse(body)!["data"]!["summary"]!.AsArray().Count);

        var worker = h.Pods("default", "ray.io/node-type", "worker").Single();
        var agent = $"/api/v1/namespaces/default/pods/{ObjectMeta.Name(worker)}:52365/proxy/api/local_raylet_healthz";
        Assert.Equal((200, "success"), await h.GetAsync(agent));
        await h.PatchAsync($"/api/v1/namespaces/default/pods/{ObjectMeta.Name(worker)}",
            "{\"metadata\":{\"annotations\":{\"sandbox.rayps.io/raylet-healthy\":\"false\"}}}");
        await SimHarness.WaitUntilAsync(async () => (await h.GetAsync(agent)).Status == 503, what: "raylet 503");
        Assert.Equal("503: Local Raylet failed", (await h.GetAsync(agent)).Body);

        // Nothing listens on a port Ray does not open.
        var refused = await h.GetAsync($"/api/v1/namespaces/default/pods/{ObjectMeta.Name(worker)}:1234/proxy/");
        Assert.Equal(503, refused.Status);
        Assert.Contains("connection refused", refused.Body);
    }

    [Fact]
    public async Task ScalingUpAndDownAndDeletedPodsComeBack()
    {
        await using var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, SampleCluster(replicas: 1));
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
        await h.PatchAsync(Clusters + "/raycluster-kuberay", "[{\"op\":\"replace\",\"path\":\"/spec/workerGroupSpecs/0/replicas\",\"value\":4}]",
            "application/json-patch+json");
        await SimHarness.WaitUntilAsync(() => JsonNodes.GetInteger(JsonNodes.At(h.RayCluster("default", "raycluster-kuberay"), "status", "readyWorkerReplicas")) == 4,
            what: "4 ready workers");
        Assert.Equal(2, JsonNodes.GetInteger(JsonNodes.At(h.RayCluster("default", "raycluster-kuberay"), "status", "observedGeneration")));
        var ray = h.Sim.Ray.Find("default", "raycluster-kuberay")!;
        Assert.Equal(5, ray.AliveNodes.Count);

        // Above maxReplicas is clamped.
        await h.PatchAsync(Clusters + "/raycluster-kuberay", "[{\"op\":\"replace\",\"path\":\"/spec/workerGroupSpecs/0/replicas\",\"value\":9}]",
            "application/json-patch+json");
        await h.WaitAsync(() => h.Pods("default", "ray.io/node-type", "worker").Count(PodInfo.IsRunningAndReady) == 5 && ray.AliveNodes.Count == 6, "5 ready workers");

        await h.PatchAsync(Clusters + "/raycluster-kuberay", "[{\"op\":\"replace\",\"path\":\"/spec/workerGroupSpecs/0/replicas\",\"value\":1}]",
            "application/json-patch+json");
        await SimHarness.WaitUntilAsync(() => h.Pods("default", "ray.io/node-type", "worker").Count == 1, what: "scaled down to 1");
        Assert.Equal(2, ray.AliveNodes.Count);
        Assert.Equal(4, ray.Nodes.Count(n => n.State == RayNodeState.Dead && n.DeathReason == "EXPECTED_TERMINATION"));
        Assert.Contains(h.Store.ListItems(Gvr.Events, "default"), e => JsonNodes.GetString(e["reason"]) == "DeletedWorkerPod");

        // A deleted worker is replaced by a new pod with a new name and IP; its Ray node stays listed as DEAD.
        var victim = h.Pods("default", "ray.io/node-type", "worker").Single();
        var victimIp = JsonNodes.StringAt(victim, "status", "podIP");
        await h.DeleteAsync($"/api/v1/namespaces/default/pods/{ObjectMeta.Name(victim)}");
        await h.WaitAsync(() => h.Pods("default", "ray.io/node-type", "worker") is [var p] && ObjectMeta.Name(p) != ObjectMeta.Name(victim)
            && PodInfo.IsRunningAndReady(p), what: "replacement worker");
        var replacement = h.Pods("default", "ray.io/node-type", "worker").Single();
        Assert.NotEqual(victimIp, JsonNodes.StringAt(replacement, "status", "podIP"));
        Assert.Contains(ray.Nodes, n => n.PodName == ObjectMeta.Name(victim) && n.State == RayNodeState.Dead);
        Assert.Contains(ray.AliveNodes, n => n.PodName == ObjectMeta.Name(replacement));
    }

    [Fact]
    public async Task APlainScaleDownRemovesTheSameWorkersForTheSameSeed()
    {
        // Which workers go is arbitrary (as on the real operator) but reproducible: the seed fixes names and choices.
        var survivors = new List<string>();
        foreach (var run in new[] { 1, 2 })
        {
            await using var h = await SimHarness.StartAsync(kubelet: false, seed: 42);
            Assert.Equal(42, h.Sandbox.Seed);
            await h.CreateAsync(Clusters, SampleCluster(replicas: 5));
            await h.WaitAsync(() => h.Pods("default", "ray.io/node-type", "worker").Count == 5, "5 workers");
            await h.PatchAsync(Clusters + "/raycluster-kuberay", "[{\"op\":\"replace\",\"path\":\"/spec/workerGroupSpecs/0/replicas\",\"value\":1}]",
                "application/json-patch+json");
            await h.WaitAsync(() => h.Pods("default", "ray.io/node-type", "worker").Count == 1, "scaled down to 1");
            survivors.Add(ObjectMeta.Name(h.Pods("default", "ray.io/node-type", "worker").Single()));
        }
        Assert.Equal(survivors[0], survivors[1]);
    }

    [Fact]
    public async Task InvalidSpecRecordsAWarningAndCreatesNothing()
    {
        await using var h = await SimHarness.StartAsync();
        var raw = SampleCluster("broken");
        TestClusters.Group(raw)["minReplicas"] = 4;
        TestClusters.Group(raw)["maxReplicas"] = 2;
        await h.CreateAsync(Clusters, raw);
        await SimHarness.WaitUntilAsync(() => h.Store.ListItems(Gvr.Events, "default").Any(e => JsonNodes.GetString(e["reason"]) == "InvalidRayClusterSpec"),
            what: "InvalidRayClusterSpec");
        var e = h.Store.ListItems(Gvr.Events, "default").Single(e => JsonNodes.GetString(e["reason"]) == "InvalidRayClusterSpec");
        Assert.Equal("Warning", JsonNodes.GetString(e["type"]));
        Assert.Equal("RayCluster", JsonNodes.StringAt(e, "involvedObject", "kind"));
        await h.Sandbox.WaitForIdleAsync();
        Assert.Empty(h.Pods("default", "ray.io/cluster", "broken"));
        Assert.Null(h.Store.TryGet(Gvr.Services, "default", "broken-head-svc"));
    }

    [Fact]
    public async Task DeletingTheClusterRemovesItsPodsAndRayNodes()
    {
        await using var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, SampleCluster(replicas: 1));
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
        await h.DeleteAsync(Clusters + "/raycluster-kuberay");
        await SimHarness.WaitUntilAsync(() => h.Pods("default", "ray.io/cluster", "raycluster-kuberay").Count == 0, what: "pods gone");
        Assert.Null(h.Store.TryGet(Gvr.Services, "default", "raycluster-kuberay-head-svc"));
        Assert.Empty(h.Sim.Ray.Find("default", "raycluster-kuberay")!.AliveNodes);
    }

    [Fact]
    public async Task WithAutoscalingOnlyWorkersToDeleteAreRemoved()
    {
        await using var h = await SimHarness.StartAsync();
        var raw = SampleCluster("auto", replicas: 3);
        raw["spec"]!["enableInTreeAutoscaling"] = true;
        // The simulated autoscaler in the head would remove idle workers itself; this test plays the autoscaler's part.
        raw["spec"]!["autoscalerOptions"] = new JsonObject { ["idleTimeoutSeconds"] = 100000 };
        await h.CreateAsync(Clusters, raw);
        await h.WaitForReadyAsync("default", "auto");
        var head = h.Pods("default", "ray.io/node-type", "head").Single();
        Assert.Equal(["ray-head", "autoscaler"], ((JsonArray)head["spec"]!["containers"]!).Select(c => JsonNodes.GetString(c!["name"])));
        var workers = h.Pods("default", "ray.io/node-type", "worker").Select(ObjectMeta.Name).OrderBy(n => n).ToList();

        // Lowering replicas alone deletes nothing: the autoscaler decides which pods go.
        await h.PatchAsync(Clusters + "/auto", "[{\"op\":\"replace\",\"path\":\"/spec/workerGroupSpecs/0/replicas\",\"value\":2}]", "application/json-patch+json");
        await h.Sandbox.WaitForIdleAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(3, h.Pods("default", "ray.io/node-type", "worker").Count(p => !PodInfo.IsTerminating(p)));

        // What the autoscaler writes: the replica count and the pod to remove.
        await h.PatchAsync(Clusters + "/auto",
            "[{\"op\":\"add\",\"path\":\"/spec/workerGroupSpecs/0/scaleStrategy\",\"value\":{\"workersToDelete\":[\"" + workers[1] + "\"]}}]",
            "application/json-patch+json");
        await h.WaitAsync(() => h.Pods("default", "ray.io/node-type", "worker").Select(ObjectMeta.Name).OrderBy(n => n).SequenceEqual([workers[0], workers[2]]),
            "only the named worker deleted");
    }

    [Fact]
    public async Task OperatorDownStopsReconciliation()
    {
        await using var h = await SimHarness.StartAsync();
        await h.WaitAsync(() => h.Pods("kube-system", "app.kubernetes.io/name", "kuberay-operator").Any(PodInfo.IsRunningAndReady), "operator running", "kube-system");
        await h.PatchAsync("/apis/apps/v1/namespaces/kube-system/deployments/kuberay-operator/scale", "{\"spec\":{\"replicas\":0}}");
        await h.WaitAsync(() => h.Pods("kube-system", "app.kubernetes.io/name", "kuberay-operator").Count == 0, "operator pod gone", "kube-system");
        await h.CreateAsync(Clusters, SampleCluster(replicas: 1));
        await h.Sandbox.WaitForIdleAsync(TimeSpan.FromSeconds(2));
        Assert.Empty(h.Pods("default", "ray.io/cluster", "raycluster-kuberay"));
        Assert.Null(h.RayCluster("default", "raycluster-kuberay")!["status"]);

        await h.PatchAsync("/apis/apps/v1/namespaces/kube-system/deployments/kuberay-operator/scale", "{\"spec\":{\"replicas\":1}}");
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
    }

    [Fact]
    public async Task NoOperatorWithoutTheCrdOrTheKubeRayController()
    {
        await using (var noCrd = await SimHarness.StartAsync(installCrd: false))
        {
            await noCrd.Sandbox.WaitForIdleAsync(TimeSpan.FromSeconds(2));
            Assert.Null(noCrd.Store.TryGet(Gvr.Deployments, "kube-system", "kuberay-operator"));
        }
        await using var noKubeRay = await SimHarness.StartAsync(kubeRay: false);
        await noKubeRay.Sandbox.WaitForIdleAsync(TimeSpan.FromSeconds(2));
        Assert.Null(noKubeRay.Store.TryGet(Gvr.Deployments, "kube-system", "kuberay-operator"));
    }

    [Fact]
    public async Task SuspendDeletesPodsAndReportsSuspended()
    {
        await using var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, SampleCluster(replicas: 1));
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
        await h.PatchAsync(Clusters + "/raycluster-kuberay", "{\"spec\":{\"suspend\":true}}");
        await h.WaitAsync(() => JsonNodes.StringAt(h.RayCluster("default", "raycluster-kuberay"), "status", "state") == "suspended", "suspended");
        Assert.Empty(h.Pods("default", "ray.io/cluster", "raycluster-kuberay"));
        await h.PatchAsync(Clusters + "/raycluster-kuberay", "{\"spec\":{\"suspend\":false}}");
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
    }

    [Fact]
    public async Task AClusterOfTwoHundredWorkersBecomesReady()
    {
        await using var h = await SimHarness.StartAsync(new ClusterSimulationOptions { RecordEvents = false });
        var raw = SampleCluster("wide", replicas: 200);
        TestClusters.Group(raw)["maxReplicas"] = 200;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await h.CreateAsync(Clusters, raw);
        await h.WaitForReadyAsync("default", "wide", TimeSpan.FromSeconds(60));
        Assert.Equal(201, h.Sim.Ray.Find("default", "wide")!.AliveNodes.Count);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"took {sw.Elapsed}");
    }
}
