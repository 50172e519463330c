using RayPS.Sandbox.Cluster;

namespace RayPS.Sandbox.Tests.Cluster;

/// <summary>
/// Applies the inputs the real KubeRay v1.4.2 operator was run on (pods kept Pending: no kubelet) to the
/// sandbox, step by step, and compares pods, services, endpoints, ServiceAccounts, Roles, RoleBindings, the
/// RayCluster (spec and status) and its events after every step with the captures, field by field after
/// normalising uids, resourceVersions, times and generated name suffixes; for suspend/resume also every
/// status a watcher of the RayCluster saw, in order.
/// Intentional differences, each with its reason:
/// <list type="bullet">
/// <item>Which workers a plain scale-down removes is arbitrary on both sides, so objects compare as multisets
/// with generated name suffixes masked; the pod named in workersToDelete is checked by name.</item>
/// <item>The reference's projected token volume has an extra openshift-service-ca.crt source (the fork's
/// admission plugin, not KubeRay) and is masked on the reference side.</item>
/// <item>Events compare by type, reason, message, count, source, reporting fields and involved object, not by
/// their generated names or times; the RayCluster's metadata (kubectl's last-applied annotation) is not compared.</item>
/// <item>The early-*.json snapshots and the pod/service/event watch streams are timing captures and are not replayed.</item>
/// </list>
/// </summary>
public class OperatorReferenceTests
{
    private const string ClusterPath = "/apis/ray.io/v1/namespaces/{0}/rayclusters";

    [Fact]
    public async Task SampleMatchesTheRealOperatorThroughEveryScaleStep()
    {
        await using var h = await StartAsync();
        const string ns = "sample";
        await CreateAsync(h, ns, "sample");
        AssertStage(h, ns, "sample", "1-create");

        await SetReplicasAsync(h, ns, "raycluster-kuberay", 3);
        AssertStage(h, ns, "sample", "2-up3");

        await SetReplicasAsync(h, ns, "raycluster-kuberay", 1);
        AssertStage(h, ns, "sample", "3-down1");

        await SetReplicasAsync(h, ns, "raycluster-kuberay", 3);
        AssertStage(h, ns, "sample", "4-up3again");

        // workersToDelete removes exactly the named pod and stays on the object.
        var victim = h.Pods(ns, "ray.io/node-type", "worker").Select(ObjectMeta.Name).Order(StringComparer.Ordinal).First();
        await h.PatchAsync(string.Format(ClusterPath, ns) + "/raycluster-kuberay",
            $$$"""[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":2},{"op":"add","path":"/spec/workerGroupSpecs/0/scaleStrategy","value":{"workersToDelete":["{{{victim}}}"]}}]""",
            "application/json-patch+json");
        await IdleAsync(h);
        AssertStage(h, ns, "sample", "5-workersToDelete");
        Assert.DoesNotContain(victim, h.Pods(ns).Select(ObjectMeta.Name));
        Assert.Equal(victim, JsonNodes.GetString(JsonNodes.At(h.RayCluster(ns, "raycluster-kuberay"), "spec", "workerGroupSpecs")![0]!["scaleStrategy"]!["workersToDelete"]![0]));

        await h.DeleteAsync(string.Format(ClusterPath, ns) + "/raycluster-kuberay");
        await IdleAsync(h);
        AssertStage(h, ns, "sample", "6-delete");
    }

    [Fact]
    public async Task CompleteSampleMatchesTheRealOperator()
    {
        await using var h = await StartAsync();
        const string ns = "complete";
        await CreateAsync(h, ns, "complete");
        AssertStage(h, ns, "complete", "1-create");

        await h.DeleteAsync(string.Format(ClusterPath, ns) + "/raycluster-complete");
        await IdleAsync(h);
        AssertStage(h, ns, "complete", "6-delete");
    }

    [Fact]
    public async Task AutoscalerSampleGetsItsServiceAccountRoleAndBindingLikeTheRealOperator()
    {
        await using var h = await StartAsync();
        const string ns = "autoscaler";
        await CreateAsync(h, ns, "autoscaler");
        AssertStage(h, ns, "autoscaler", "1-create");

        // What the autoscaler would write; lowering replicas without workersToDelete then removes nothing.
        await SetReplicasAsync(h, ns, "raycluster-autoscaler", 2);
        AssertStage(h, ns, "autoscaler", "2-up2");
        await SetReplicasAsync(h, ns, "raycluster-autoscaler", 1);
        AssertStage(h, ns, "autoscaler", "3-down1");

        await h.DeleteAsync(string.Format(ClusterPath, ns) + "/raycluster-autoscaler");
        await IdleAsync(h);
        AssertStage(h, ns, "autoscaler", "6-delete");
    }

    [Fact]
    public async Task SuspendAndResumeMatchTheRealOperator()
    {
        await using var h = await StartAsync();
        const string ns = "suspend";
        await CreateAsync(h, ns, "sample");
        using var subscription = h.Store.Subscribe("ray.io/rayclusters");

        await SuspendAsync(h, ns, true);
        Assert.Empty(h.Pods(ns));
        AssertSame("suspended RayCluster", Reference("suspend", "rayclusters.yaml")[0]["status"], Actual(h.Store.ListItems(Gvr.RayClusters, ns))[0]["status"]);
        AssertSameEvents(Reference("suspend", "events.yaml"), h.Store.ListItems(Gvr.Events, ns));

        await SuspendAsync(h, ns, false);
        AssertSame("resumed RayCluster", Reference("suspend", "rayclusters-resumed.yaml")[0]["status"], Actual(h.Store.ListItems(Gvr.RayClusters, ns))[0]["status"]);
        AssertSameEvents(Reference("suspend", "events-resumed.yaml"), h.Store.ListItems(Gvr.Events, ns));
        Assert.Equal(2, h.Pods(ns).Count);

        // Every status the RayCluster went through, in order, as a watcher saw it (duplicates merged).
        var sequence = new List<string>();
        while (subscription.Reader.TryRead(out var change))
        {
            sequence.Add(Summary(change.Type, change.Object));
        }
        var expected = File.ReadLines(OperatorReference.Path("suspend", "watch-rayclusters.jsonl"))
            .Select(line => (JsonObject)JsonNode.Parse(line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..])!)
            .Where(e => JsonNodes.GetString(e["type"]) == "MODIFIED" && JsonNodes.GetInteger(JsonNodes.At(e, "object", "metadata", "generation")) > 1)
            .Select(e => Summary("MODIFIED", (JsonObject)e["object"]!));
        var expectedSteps = Distinct(expected);
        Assert.True(expectedSteps.Count >= 5, "the capture should show suspending, suspended, resumed and re-provisioning");
        Assert.Equal(expectedSteps, Distinct(sequence));
    }

    private static List<string> Distinct(IEnumerable<string> items)
    {
        var result = new List<string>();
        foreach (var item in items)
        {
            if (result.Count == 0 || result[^1] != item)
            {
                result.Add(item);
            }
        }
        return result;
    }

    private static string Summary(string type, JsonObject cluster)
    {
        var status = cluster["status"] as JsonObject;
        var conditions = (status?["conditions"] as JsonArray)?.OfType<JsonObject>()
            .Select(c => $"{JsonNodes.GetString(c["type"])}={JsonNodes.GetString(c["status"])}/{JsonNodes.GetString(c["reason"])}/{JsonNodes.GetString(c["message"])}") ?? [];
        return $"{type} gen={ObjectMeta.Generation(cluster)} suspend={JsonNodes.At(cluster, "spec", "suspend")?.ToJsonString()} "
            + $"state={JsonNodes.GetString(status?["state"])} head={JsonNodes.StringAt(status, "head", "podName") is not null} [{string.Join("; ", conditions)}]";
    }

    private static async Task SuspendAsync(SimHarness h, string ns, bool suspend)
    {
        await h.PatchAsync(string.Format(ClusterPath, ns) + "/raycluster-kuberay", """{"spec":{"suspend":""" + (suspend ? "true" : "false") + "}}");
        await IdleAsync(h);
    }

    private static Task<SimHarness> StartAsync() => SimHarness.StartAsync(kubelet: false, seed: 14);

    private static async Task CreateAsync(SimHarness h, string ns, string input)
    {
        await h.CreateAsync("/api/v1/namespaces", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } });
        await IdleAsync(h);
        foreach (var obj in OperatorReference.Inputs(input))
        {
            var path = JsonNodes.GetString(obj["kind"]) == "RayCluster" ? string.Format(ClusterPath, ns) : $"/api/v1/namespaces/{ns}/configmaps";
            await h.CreateAsync(path, obj);
        }
        await IdleAsync(h);
    }

    private static async Task SetReplicasAsync(SimHarness h, string ns, string name, int replicas)
    {
        await h.PatchAsync(string.Format(ClusterPath, ns) + "/" + name,
            $$"""[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":{{replicas}}}]""", "application/json-patch+json");
        await IdleAsync(h);
    }

    private static async Task IdleAsync(SimHarness h) =>
        Assert.True(await h.Sandbox.ControllerHost.WaitForIdleAsync(TimeSpan.FromSeconds(30)), "the controllers did not settle");

    private static List<JsonObject> Reference(params string[] parts) => OperatorReference.Items(parts).Select(o => (JsonObject)OperatorReference.Normalize(o)!).ToList();

    private static List<JsonObject> Actual(IEnumerable<JsonObject> items) => items.Select(o => (JsonObject)OperatorReference.Normalize(o)!).ToList();

    private static void AssertStage(SimHarness h, string ns, string input, string stage)
    {
        var diffs = new List<string>();
        diffs.AddRange(OperatorReference.ListDifferences("pods", Reference(input, stage, "pods.yaml"), Actual(h.Store.ListItems(Gvr.Pods, ns))));
        diffs.AddRange(OperatorReference.ListDifferences("services", Reference(input, stage, "services.yaml"), Actual(h.Store.ListItems(Gvr.Services, ns))));
        diffs.AddRange(OperatorReference.ListDifferences("endpoints", Reference(input, stage, "endpoints.yaml"), Actual(h.Store.ListItems(Gvr.Endpoints, ns))));
        diffs.AddRange(OperatorReference.ListDifferences("serviceaccounts", Reference(input, stage, "serviceaccounts.yaml"), Actual(h.Store.ListItems(Gvr.ServiceAccounts, ns))));
        diffs.AddRange(OperatorReference.ListDifferences("roles", Reference(input, stage, "roles.rbac.authorization.k8s.io.yaml"), Actual(h.Store.ListItems(Gvr.Roles, ns))));
        diffs.AddRange(OperatorReference.ListDifferences("rolebindings", Reference(input, stage, "rolebindings.rbac.authorization.k8s.io.yaml"),
            Actual(h.Store.ListItems(Gvr.RoleBindings, ns))));
        var expectedClusters = Reference(input, stage, "rayclusters.yaml");
        var actualClusters = Actual(h.Store.ListItems(Gvr.RayClusters, ns));
        diffs.AddRange(OperatorReference.ListDifferences("rayclusters",
            expectedClusters.Select(c => new JsonObject { ["spec"] = c["spec"]?.DeepClone(), ["status"] = c["status"]?.DeepClone() }),
            actualClusters.Select(c => new JsonObject { ["spec"] = c["spec"]?.DeepClone(), ["status"] = c["status"]?.DeepClone() })));
        diffs.AddRange(OperatorReference.Differences(
            new JsonArray(OperatorReference.Items(input, stage, "events.yaml").Select(e => (JsonNode)OperatorReference.EventSummary(e)).ToArray()),
            new JsonArray(h.Store.ListItems(Gvr.Events, ns).Select(e => (JsonNode)OperatorReference.EventSummary(e)).ToArray()), "events"));
        Assert.True(diffs.Count == 0, $"{input}/{stage} differs from the real operator:\n" + OperatorReference.Report(diffs));
    }

    private static void AssertSame(string what, JsonNode? expected, JsonNode? actual)
    {
        var diffs = OperatorReference.Differences(expected, actual, what);
        Assert.True(diffs.Count == 0, OperatorReference.Report(diffs));
    }

    private static void AssertSameEvents(List<JsonObject> expected, IEnumerable<JsonObject> actual) =>
        AssertSame("events", new JsonArray(expected.Select(e => (JsonNode)OperatorReference.EventSummary(e)).ToArray()),
            new JsonArray(actual.Select(e => (JsonNode)OperatorReference.EventSummary(e)).ToArray()));
}
