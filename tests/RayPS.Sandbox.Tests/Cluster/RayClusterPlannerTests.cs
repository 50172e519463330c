using RayPS.Sandbox.Cluster;

namespace RayPS.Sandbox.Tests.Cluster;

public class RayClusterPlannerTests
{
    private static RayClusterPlan Plan(JsonObject raw, params JsonObject[] pods) =>
        RayClusterPlanner.Plan(new RayClusterSpec(raw), pods, []);

    [Fact]
    public void NewClusterGetsServiceHeadAndWorkers()
    {
        var plan = Plan(TestClusters.Npu());
        Assert.Null(plan.InvalidReason);
        Assert.Single(plan.ServicesToCreate);
        Assert.Equal(3, plan.PodsToCreate.Count);
        Assert.Equal(RayNodeType.Head, plan.PodsToCreate[0].Type);
        Assert.All(plan.PodsToCreate.Skip(1), p => Assert.Equal("workergroup", p.Group));
    }

    [Theory]
    [InlineData(0, 1, 5, 1, 1)] // below min
    [InlineData(9, 1, 5, 1, 5)] // above max
    [InlineData(3, 1, 5, 2, 6)] // numOfHosts multiplies
    public void ReplicasAreClampedAndMultipliedByHosts(int replicas, int min, int max, int hosts, int expected)
    {
        var raw = TestClusters.Sample();
        var g = TestClusters.Group(raw);
        g["replicas"] = replicas;
        g["minReplicas"] = min;
        g["maxReplicas"] = max;
        g["numOfHosts"] = hosts;
        var plan = Plan(raw);
        Assert.Equal(expected, plan.PodsToCreate.Count(p => p.Type == RayNodeType.Worker));
        Assert.Equal(hosts > 1 ? 2 : 1, plan.ServicesToCreate.Count);
    }

    [Fact]
    public void ExistingPodsAreCountedAndSurplusDeleted()
    {
        var raw = TestClusters.Sample();
        var spec = new RayClusterSpec(raw);
        TestClusters.Group(raw)["replicas"] = 1;
        var head = TestClusters.Stored(KubeRayBuilder.BuildHeadPod(spec), "raycluster-kuberay-head-aaaaa", "Running", true);
        var w1 = TestClusters.Stored(KubeRayBuilder.BuildWorkerPod(spec, spec.Groups[0]), "raycluster-kuberay-workergroup-worker-b", "Running", true);
        var w2 = TestClusters.Stored(KubeRayBuilder.BuildWorkerPod(spec, spec.Groups[0]), "raycluster-kuberay-workergroup-worker-c", "Pending");
        var plan = RayClusterPlanner.Plan(new RayClusterSpec(raw), [head, w1, w2], [KubeRayBuilder.BuildHeadService(spec)]);
        Assert.Empty(plan.ServicesToCreate);
        Assert.Empty(plan.PodsToCreate);
        var deleted = Assert.Single(plan.PodsToDelete);
        Assert.Equal("raycluster-kuberay-workergroup-worker-b", deleted.Name);
    }

    [Fact]
    public void AutoscalingDeletesOnlyWorkersToDelete()
    {
        var raw = TestClusters.Sample();
        raw["spec"]!["enableInTreeAutoscaling"] = true;
        var spec = new RayClusterSpec(raw);
        var pods = Enumerable.Range(0, 3)
            .Select(i => TestClusters.Stored(KubeRayBuilder.BuildWorkerPod(spec, spec.Groups[0]), "w-" + i, "Running", true))
            .Append(TestClusters.Stored(KubeRayBuilder.BuildHeadPod(spec), "h", "Running", true)).ToArray();
        // replicas 1 < 3 running: without workersToDelete nothing is removed.
        Assert.Empty(Plan(raw, pods).PodsToDelete);
        TestClusters.Group(raw)["scaleStrategy"] = new JsonObject { ["workersToDelete"] = new JsonArray("w-2", "gone") };
        var plan = Plan(raw, pods);
        Assert.Equal(["w-2"], plan.PodsToDelete.Select(d => d.Name));
    }

    [Fact]
    public void TerminatingPodsAreNotReplacedUntilGone()
    {
        var raw = TestClusters.Sample();
        var spec = new RayClusterSpec(raw);
        var head = TestClusters.Stored(KubeRayBuilder.BuildHeadPod(spec), "h", "Running", true);
        head["metadata"]!["deletionTimestamp"] = "2025-01-01T00:00:00Z";
        var plan = Plan(raw, head);
        Assert.DoesNotContain(plan.PodsToCreate, p => p.Type == RayNodeType.Head);
        var failed = TestClusters.Stored(KubeRayBuilder.BuildHeadPod(spec), "h2", "Failed");
        plan = Plan(raw, failed);
        Assert.Equal("h2", Assert.Single(plan.PodsToDelete).Name);
        Assert.Contains(plan.PodsToCreate, p => p.Type == RayNodeType.Head);
    }

    [Fact]
    public void InvalidSpecPlansNothing()
    {
        var raw = TestClusters.Sample();
        var g = TestClusters.Group(raw);
        g["minReplicas"] = 5;
        g["maxReplicas"] = 2;
        var plan = Plan(raw);
        Assert.Equal("InvalidRayClusterSpec", plan.InvalidReason);
        Assert.Contains("minReplicas 5 greater than maxReplicas 2", plan.InvalidMessage);
        Assert.Empty(plan.PodsToCreate);
        Assert.Empty(plan.ServicesToCreate);

        raw = TestClusters.Sample();
        raw["spec"]!["headGroupSpec"]!["template"]!["spec"]!["containers"] = new JsonArray();
        Assert.Equal("The RayCluster spec is invalid default/raycluster-kuberay: headGroupSpec should have at least one container", Plan(raw).InvalidMessage);
    }

    [Fact]
    public void SuspendDeletesEverythingOnceTheStatusSaysSuspending()
    {
        var raw = TestClusters.Sample();
        var spec = new RayClusterSpec(raw);
        raw["spec"]!["suspend"] = true;
        var head = TestClusters.Stored(KubeRayBuilder.BuildHeadPod(spec), "h", "Running", true);
        var worker = TestClusters.Stored(KubeRayBuilder.BuildWorkerPod(spec, spec.Groups[0]), "w", "Running", true);

        // The reconcile that first sees spec.suspend only records Suspending in the status.
        var first = Plan(raw, head, worker);
        Assert.Empty(first.PodsToDelete);
        Assert.Empty(first.PodsToCreate);

        raw["status"] = new JsonObject { ["conditions"] = new JsonArray(Condition("RayClusterSuspending", "True")) };
        var second = Plan(raw, head, worker);
        Assert.True(second.DeleteAllForSuspension);
        Assert.Equal(["h", "w"], second.PodsToDelete.Select(p => p.Name).Order(StringComparer.Ordinal));

        // Suspended and resumed: the first reconcile after the resume creates nothing yet.
        raw["spec"]!["suspend"] = false;
        raw["status"] = new JsonObject { ["conditions"] = new JsonArray(Condition("RayClusterSuspended", "True")) };
        Assert.True(Plan(raw).PodsToCreate.Count == 0);
        raw["status"] = new JsonObject { ["conditions"] = new JsonArray(Condition("RayClusterSuspended", "False")) };
        Assert.Equal(2, Plan(raw).PodsToCreate.Count);
    }

    [Fact]
    public void PlainScaleDownVictimsFollowTheSeededOrderNotTheNames()
    {
        var raw = TestClusters.Sample();
        var spec = new RayClusterSpec(raw);
        TestClusters.Group(raw)["replicas"] = 1;
        var head = TestClusters.Stored(KubeRayBuilder.BuildHeadPod(spec), "h", "Running", true);
        var workers = Enumerable.Range(0, 8)
            .Select(i => TestClusters.Stored(KubeRayBuilder.BuildWorkerPod(spec, spec.Groups[0]), "w" + i, "Running", true)).ToArray();
        List<string> Victims(int seed) =>
            RayClusterPlanner.Plan(new RayClusterSpec(raw), [head, .. workers], [], new Random(seed)).PodsToDelete.Select(p => p.Name).ToList();

        var victims = Victims(7);
        Assert.Equal(7, victims.Count);
        Assert.Equal(victims, Victims(7));
        Assert.All(victims, v => Assert.StartsWith("w", v));
        Assert.Equal("Deleted Pod default/" + victims[0],
            RayClusterPlanner.Plan(new RayClusterSpec(raw), [head, .. workers], [], new Random(7)).PodsToDelete[0].EventMessage);
        // Over a handful of seeds the survivor is not always the same pod.
        var survivors = Enumerable.Range(0, 10).Select(seed => workers.Select(w => ObjectMeta.Name(w)).Except(Victims(seed)).Single()).Distinct().ToList();
        Assert.True(survivors.Count > 1, "the survivor was " + survivors[0] + " for every seed");
    }

    private static JsonObject Condition(string type, string status) => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["reason"] = type,
        ["message"] = "",
        ["lastTransitionTime"] = "2026-01-01T00:00:00Z",
    };
}

public class RayClusterStatusTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ReadyWhenAllPodsRunAndAreReady()
    {
        var raw = TestClusters.Npu();
        var spec = new RayClusterSpec(raw);
        var svc = KubeRayBuilder.BuildHeadService(spec);
        var head = TestClusters.Stored(KubeRayBuilder.BuildHeadPod(spec), "ray-cluster-head-x", "Running", true, "10.244.0.5");
        var w1 = TestClusters.Stored(KubeRayBuilder.BuildWorkerPod(spec, spec.Groups[0]), "w1", "Running", true, "10.244.0.6");
        var w2 = TestClusters.Stored(KubeRayBuilder.BuildWorkerPod(spec, spec.Groups[0]), "w2", "Running", false, "10.244.0.7");

        var status = RayClusterStatusBuilder.Compute(spec, [head, w1, w2], [svc], null, Now);
        Assert.Null(status["state"]);
        Assert.Equal(1, JsonNodes.GetInteger(status["readyWorkerReplicas"]));
        Assert.Equal(2, JsonNodes.GetInteger(status["availableWorkerReplicas"]));
        Assert.Equal(2, JsonNodes.GetInteger(status["desiredWorkerReplicas"]));
        Assert.Null(status["minWorkerReplicas"]);
        Assert.Equal(3, JsonNodes.GetInteger(status["maxWorkerReplicas"]));
        Assert.Equal("28", JsonNodes.GetString(status["desiredCPU"]));
        Assert.Equal("88Gi", JsonNodes.GetString(status["desiredMemory"]));
        Assert.Equal("4", JsonNodes.GetString(status["desiredGPU"]));
        Assert.Equal("0", JsonNodes.GetString(status["desiredTPU"]));
        Assert.Equal(1, JsonNodes.GetInteger(status["observedGeneration"]));
        Assert.Equal("10.244.0.5", JsonNodes.StringAt(status, "head", "podIP"));
        Assert.Equal("10.244.0.5", JsonNodes.StringAt(status, "head", "serviceIP"));
        Assert.Equal("ray-cluster-head-x", JsonNodes.StringAt(status, "head", "podName"));
        Assert.Equal("ray-cluster-head-svc", JsonNodes.StringAt(status, "head", "serviceName"));
        Assert.Equal("8265", JsonNodes.StringAt(status, "endpoints", "dashboard"));
        Assert.Equal("6379", JsonNodes.StringAt(status, "endpoints", "gcs-server"));
        var provisioned = Condition(status, "RayClusterProvisioned");
        Assert.Equal("False", JsonNodes.GetString(provisioned["status"]));
        Assert.Equal("RayClusterPodsProvisioning", JsonNodes.GetString(provisioned["reason"]));
        Assert.Equal("HeadPodRunningAndReady", JsonNodes.GetString(Condition(status, "HeadPodReady")["reason"]));

        w2["status"]!["conditions"]![0]!["status"] = "True";
        raw["status"] = status;
        var ready = RayClusterStatusBuilder.Compute(new RayClusterSpec(raw), [head, w1, w2], [svc], null, Now.AddSeconds(1));
        Assert.Equal("ready", JsonNodes.GetString(ready["state"]));
        Assert.Equal(2, JsonNodes.GetInteger(ready["readyWorkerReplicas"]));
        Assert.Equal("True", JsonNodes.GetString(Condition(ready, "RayClusterProvisioned")["status"]));
        Assert.Equal("2025-06-01T12:00:01Z", JsonNodes.StringAt(ready, "stateTransitionTimes", "ready"));
        Assert.True(RayClusterStatusBuilder.Differs(status, ready));
        Assert.False(RayClusterStatusBuilder.Differs(ready, RayClusterStatusBuilder.Compute(new RayClusterSpec(Merge(raw, ready)), [head, w1, w2], [svc], null, Now.AddSeconds(5))));
    }

    [Fact]
    public void MissingHeadAndReplicaFailure()
    {
        var spec = new RayClusterSpec(TestClusters.Sample());
        var status = RayClusterStatusBuilder.Compute(spec, [], [], new ReconcileFailure("FailedCreateHeadPod", "pods \"x\" is forbidden"), Now);
        Assert.Equal("HeadPodNotFound", JsonNodes.GetString(Condition(status, "HeadPodReady")["reason"]));
        var failure = Condition(status, "ReplicaFailure");
        Assert.Equal("True", JsonNodes.GetString(failure["status"]));
        Assert.Equal("FailedCreateHeadPod", JsonNodes.GetString(failure["reason"]));
        Assert.Equal("2", JsonNodes.GetString(status["desiredCPU"]));
        Assert.Equal(1, JsonNodes.GetInteger(status["minWorkerReplicas"]));
        Assert.Equal("3G", JsonNodes.GetString(status["desiredMemory"]));
        Assert.NotNull(status["head"]);
    }

    private static JsonObject Merge(JsonObject raw, JsonObject status)
    {
        var copy = (JsonObject)raw.DeepClone();
        copy["status"] = status.DeepClone();
        return copy;
    }

    private static JsonObject Condition(JsonObject status, string type) =>
        ((JsonArray)status["conditions"]!).OfType<JsonObject>().Single(c => JsonNodes.GetString(c["type"]) == type);
}
