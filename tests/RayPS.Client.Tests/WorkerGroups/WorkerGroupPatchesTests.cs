using System.Text.Json.Nodes;
using RayPS.Model;
using RayPS.Operations;

namespace RayPS.Client.Tests.WorkerGroups;

public sealed class WorkerGroupPatchesTests
{
    private static JsonObject Cluster() => FakeClusterApi.NewCluster(false, ("small", 1, 0, 5), ("npu", 2, 1, 4));

    private static JsonNode Group(JsonObject cluster, int i) => cluster["spec"]!["workerGroupSpecs"]![i]!;

    [Fact]
    public void Scale_tests_name_and_bounds_then_adds_replicas()
    {
        var cluster = Cluster();
        var patch = WorkerGroupPatches.Scale(1, Group(cluster, 1), 3);
        var expected = JsonNode.Parse("""
            [{"op":"test","path":"/spec/workerGroupSpecs/1/groupName","value":"npu"},
             {"op":"test","path":"/spec/workerGroupSpecs/1/minReplicas","value":1},
             {"op":"test","path":"/spec/workerGroupSpecs/1/maxReplicas","value":4},
             {"op":"add","path":"/spec/workerGroupSpecs/1/replicas","value":3}]
            """);
        Assert.True(JsonNode.DeepEquals(expected, patch), patch.ToJsonString());
        var after = MiniJsonPatch.Apply(cluster, patch);
        Assert.Equal(3, Group(after, 1)["replicas"]!.GetValue<int>());
        Assert.Equal(1, Group(after, 0)["replicas"]!.GetValue<int>());
    }

    [Fact]
    public void Scale_patch_fails_when_the_group_moved_or_its_bounds_changed()
    {
        var cluster = Cluster();
        var patch = WorkerGroupPatches.Scale(1, Group(cluster, 1), 3);

        var moved = Cluster();
        var groups = moved["spec"]!["workerGroupSpecs"]!.AsArray();
        var first = groups[0]!;
        groups.RemoveAt(0);
        groups.Add(first);
        Assert.Throws<MiniJsonPatch.FailedException>(() => MiniJsonPatch.Apply(moved, patch));

        var narrowed = Cluster();
        Group(narrowed, 1)["maxReplicas"] = 2;
        Assert.Throws<MiniJsonPatch.FailedException>(() => MiniJsonPatch.Apply(narrowed, patch));
    }

    [Fact]
    public void Adjusted_bounds_travel_in_the_same_patch()
    {
        var cluster = Cluster();
        var patch = WorkerGroupPatches.Scale(1, Group(cluster, 1), 9, newMin: 1, newMax: 9);
        var after = MiniJsonPatch.Apply(cluster, patch);
        Assert.Equal(9, Group(after, 1)["maxReplicas"]!.GetValue<int>());
        Assert.Equal(9, Group(after, 1)["replicas"]!.GetValue<int>());
        Assert.DoesNotContain(patch.AsArray(), op => op!["op"]!.GetValue<string>() == "add" && op["path"]!.GetValue<string>().EndsWith("minReplicas"));
    }

    [Fact]
    public void Workers_to_delete_rewrite_an_existing_list_under_its_test_and_create_one_under_a_generation_test()
    {
        var cluster = Cluster();
        var create = WorkerGroupPatches.Scale(1, Group(cluster, 1), 1, workersToDelete: new[] { "p1" }, generation: 1);
        Assert.Equal("/metadata/generation", create[0]!["path"]!.GetValue<string>());
        var after = MiniJsonPatch.Apply(cluster, create);
        Assert.Equal(new[] { "p1" }, Group(after, 1)["scaleStrategy"]!["workersToDelete"]!.AsArray().Select(p => p!.GetValue<string>()));

        // p1 is gone: its stale name is dropped, p2 is added, and the list as read is tested.
        var rewrite = WorkerGroupPatches.Scale(1, Group(after, 1), 0, workersToDelete: new[] { "p2" }, generation: 1, livePods: new HashSet<string> { "p2", "p3" });
        Assert.DoesNotContain(rewrite.AsArray(), op => op!["path"]!.GetValue<string>() == "/metadata/generation");
        Assert.Equal(new[] { "p2" }, Group(MiniJsonPatch.Apply(after, rewrite), 1)["scaleStrategy"]!["workersToDelete"]!.AsArray().Select(p => p!.GetValue<string>()));

        // The autoscaler named a pod meanwhile: the test of the list fails, nothing is lost.
        Group(after, 1)["scaleStrategy"]!["workersToDelete"]!.AsArray().Add("autoscaler-choice");
        Assert.Throws<MiniJsonPatch.FailedException>(() => MiniJsonPatch.Apply(after, rewrite));
    }

    [Fact]
    public void Clearing_workers_to_delete_tests_the_list_and_keeps_other_names()
    {
        var cluster = Cluster();
        Group(cluster, 1)["scaleStrategy"] = new JsonObject { ["workersToDelete"] = new JsonArray("a", "b", "c") };
        var patch = WorkerGroupPatches.ClearWorkersToDelete(1, Group(cluster, 1), new HashSet<string> { "a", "c" })!;
        Assert.Equal(new[] { "b" }, Group(MiniJsonPatch.Apply(cluster, patch), 1)["scaleStrategy"]!["workersToDelete"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Null(WorkerGroupPatches.ClearWorkersToDelete(1, Group(cluster, 1), new HashSet<string> { "zzz" }));
        Group(cluster, 1)["scaleStrategy"]!["workersToDelete"]!.AsArray().Add("d");
        Assert.Throws<MiniJsonPatch.FailedException>(() => MiniJsonPatch.Apply(cluster, patch));
    }

    [Fact]
    public void Remove_group_tests_the_name_at_the_index()
    {
        var cluster = Cluster();
        var after = MiniJsonPatch.Apply(cluster, WorkerGroupPatches.RemoveGroup(0, "small"));
        Assert.Equal(new[] { "npu" }, after["spec"]!["workerGroupSpecs"]!.AsArray().Select(g => g!["groupName"]!.GetValue<string>()));
        Assert.Throws<MiniJsonPatch.FailedException>(() => MiniJsonPatch.Apply(cluster, WorkerGroupPatches.RemoveGroup(1, "small")));
    }

    [Fact]
    public void Scale_down_victims_are_not_ready_then_idle_then_unknown_then_busy()
    {
        var pods = new[]
        {
            RayPodFacts.FromJson(FakeClusterApi.NewPod("busy-new", "npu", created: "2026-01-09T00:00:00Z")),
            RayPodFacts.FromJson(FakeClusterApi.NewPod("idle-old", "npu", created: "2026-01-01T00:00:00Z")),
            RayPodFacts.FromJson(FakeClusterApi.NewPod("unknown", "npu", created: "2026-01-05T00:00:00Z")),
            RayPodFacts.FromJson(FakeClusterApi.NewPod("pending", "npu", phase: "Pending", ready: false, created: "2025-01-01T00:00:00Z")),
        };
        var activity = new Dictionary<string, RayNodeActivity> { ["busy-new"] = RayNodeActivity.Busy, ["idle-old"] = RayNodeActivity.Idle };
        Assert.Equal(new[] { "pending", "idle-old", "unknown" },
            WorkerGroupPatches.SelectWorkersToDelete(pods, Array.Empty<string>(), 1, p => activity.GetValueOrDefault(p.Name)));
    }

    [Fact]
    public void Add_group_appends_under_a_generation_test_that_refuses_any_concurrent_spec_change()
    {
        var cluster = Cluster();
        var group = new JsonObject { ["groupName"] = "new", ["replicas"] = 1, ["template"] = new JsonObject() };
        var patch = WorkerGroupPatches.AddGroup(cluster, group);
        Assert.Equal("/metadata/generation", patch[0]!["path"]!.GetValue<string>());
        Assert.Equal(1, patch[0]!["value"]!.GetValue<int>());
        // Only integers and names are tested: no string of the spec, whose escaping the server would compare.
        Assert.DoesNotContain(patch.AsArray(), op => op!["op"]!.GetValue<string>() == "test" && op["value"] is JsonObject or JsonArray);

        var after = MiniJsonPatch.Apply(cluster, patch);
        Assert.Equal(new[] { "small", "npu", "new" }, after["spec"]!["workerGroupSpecs"]!.AsArray().Select(g => g!["groupName"]!.GetValue<string>()));

        // Someone appended a group with the same name in between: the API server bumped the generation.
        var raced = Cluster();
        raced["spec"]!["workerGroupSpecs"]!.AsArray().Add(new JsonObject { ["groupName"] = "new" });
        raced["metadata"]!["generation"] = 2;
        Assert.Throws<MiniJsonPatch.FailedException>(() => MiniJsonPatch.Apply(raced, patch));
    }

    [Fact]
    public void Add_group_to_a_cluster_without_the_array_creates_it_under_the_generation_test()
    {
        var cluster = Cluster();
        cluster["spec"]!.AsObject().Remove("workerGroupSpecs");
        var patch = WorkerGroupPatches.AddGroup(cluster, new JsonObject { ["groupName"] = "first" });
        Assert.Equal("/metadata/generation", patch[0]!["path"]!.GetValue<string>());
        Assert.Single(MiniJsonPatch.Apply(cluster, patch)["spec"]!["workerGroupSpecs"]!.AsArray());
        cluster["metadata"]!["generation"] = 2;
        Assert.Throws<MiniJsonPatch.FailedException>(() => MiniJsonPatch.Apply(cluster, patch));
    }

    [Fact]
    public void Workers_to_delete_prefer_not_ready_then_newest_pods()
    {
        var pods = new[]
        {
            RayPodFacts.FromJson(FakeClusterApi.NewPod("old-ready", "npu", created: "2026-01-01T00:00:00Z")),
            RayPodFacts.FromJson(FakeClusterApi.NewPod("new-ready", "npu", created: "2026-01-03T00:00:00Z")),
            RayPodFacts.FromJson(FakeClusterApi.NewPod("mid-ready", "npu", created: "2026-01-02T00:00:00Z")),
            RayPodFacts.FromJson(FakeClusterApi.NewPod("pending", "npu", phase: "Pending", ready: false, created: "2025-12-01T00:00:00Z")),
            RayPodFacts.FromJson(FakeClusterApi.NewPod("listed", "npu")),
        };
        Assert.Equal(new[] { "pending", "new-ready" }, WorkerGroupPatches.SelectWorkersToDelete(pods, new[] { "listed" }, 2));
        Assert.Empty(WorkerGroupPatches.SelectWorkersToDelete(pods, new[] { "listed" }, 4));
        Assert.Equal(4, WorkerGroupPatches.SelectWorkersToDelete(pods, Array.Empty<string>(), 1).Count);
    }
}
