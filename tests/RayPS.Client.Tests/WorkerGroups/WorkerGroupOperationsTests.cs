using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Manifests;
using RayPS.Operations;

namespace RayPS.Client.Tests.WorkerGroups;

public sealed class WorkerGroupOperationsTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static JsonObject Deployment(string group, int replicas, int ready, string cluster = "ray-cluster")
    {
        var options = new WorkerDeploymentOptions { ClusterName = cluster, Namespace = "default" };
        options.Worker.GroupName = group;
        options.Worker.Image = "rayproject/ray:2.46.0";
        options.Worker.Replicas = replicas;
        options.Worker.Cpu = "4";
        var d = WorkerDeploymentBuilder.Build(options);
        d["metadata"]!["resourceVersion"] = "7";
        d["status"] = new JsonObject { ["replicas"] = replicas, ["readyReplicas"] = ready, ["availableReplicas"] = ready };
        return FakeClusterApi.Reparse(d);
    }

    private static FakeClusterApi Server(bool autoscaling = false)
    {
        var server = new FakeClusterApi { Cluster = FakeClusterApi.NewCluster(autoscaling, ("small", 1, 0, 5), ("npu", 2, 1, 4)) };
        server.Deployments.Add(Deployment("npu-deploy", 2, 1));
        server.Deployments.Add(Deployment("elsewhere", 1, 1, cluster: "other-cluster"));
        server.Pods.Add(FakeClusterApi.NewPod("npu-1", "npu", created: "2026-01-01T00:00:00Z"));
        server.Pods.Add(FakeClusterApi.NewPod("npu-2", "npu", created: "2026-01-02T00:00:00Z"));
        server.Pods.Add(FakeClusterApi.NewPod("small-1", "small", phase: "Pending", ready: false));
        return server;
    }

    [Fact]
    public async Task List_returns_both_kinds_with_three_requests()
    {
        var server = Server();
        var listing = await WorkerGroupOperations.ListAsync(server.Connect(), "default", "ray-cluster", None);

        Assert.Equal(new[] { "small", "npu", "npu-deploy" }, listing.Groups.Select(g => g.GroupName));
        Assert.Equal(new[] { WorkerGroupKind.RayCluster, WorkerGroupKind.RayCluster, WorkerGroupKind.Deployment }, listing.Groups.Select(g => g.Kind));
        var npu = listing.Groups[1];
        Assert.Equal((2, 2, 2), (npu.Desired, npu.Ready, npu.Available));
        Assert.Equal((1, 0, 0), (listing.Groups[0].Desired, listing.Groups[0].Ready, listing.Groups[0].Available));
        var deploy = listing.Groups[2];
        Assert.Equal(("ray-cluster-npu-deploy", 2, 1), (deploy.DeploymentName, deploy.Desired, deploy.Ready));
        Assert.Null(listing.ClusterMissing);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(1, server.Count("GET /apis/ray.io/v1/namespaces/default/rayclusters/ray-cluster"));
        Assert.Equal(1, server.Count("GET /apis/apps/v1/namespaces/default/deployments?labelSelector=ray.io/cluster=ray-cluster"));
        Assert.Equal(1, server.Count("GET /api/v1/namespaces/default/pods?labelSelector=ray.io/cluster=ray-cluster"));
    }

    [Fact]
    public async Task Unknown_cluster_is_RayClusterNotFound_but_deployment_only_groups_are_listed()
    {
        var server = Server();
        var ex = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.ListAsync(server.Connect(), "default", "nope", None));
        Assert.Equal(ErrorIds.RayClusterNotFound, ex.ErrorId);

        var listing = await WorkerGroupOperations.ListAsync(server.Connect(), "default", "other-cluster", None);
        Assert.Null(listing.Cluster);
        Assert.Equal(ErrorIds.RayClusterNotFound, listing.ClusterMissing!.ErrorId);
        Assert.Equal("elsewhere", Assert.Single(listing.Groups).GroupName);
    }

    [Fact]
    public async Task Scaling_a_raycluster_group_is_one_get_and_one_tested_json_patch()
    {
        var server = Server();
        var result = await WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", Replicas = 3 }, null, None);

        Assert.Equal(new[] { ("small", 1), ("npu", 3) }, server.Groups());
        Assert.Equal(2, server.Requests.Count);
        Assert.StartsWith("GET /apis/ray.io/v1/namespaces/default/rayclusters/ray-cluster", server.Requests[0]);
        Assert.StartsWith("PATCH /apis/ray.io/v1/namespaces/default/rayclusters/ray-cluster", server.Requests[1]);
        var patch = Assert.Single(server.Patches).AsArray();
        Assert.Equal("test", patch[0]!["op"]!.GetValue<string>());
        Assert.Equal("/spec/workerGroupSpecs/1/groupName", patch[0]!["path"]!.GetValue<string>());
        Assert.Equal((3, 2, 1), (result.Group.Replicas, result.PreviousReplicas, result.Attempts));
        Assert.Equal(WorkerGroupKind.RayCluster, result.Group.Kind);
    }

    [Fact]
    public async Task A_group_moved_by_someone_else_is_found_again_and_the_right_group_is_scaled()
    {
        var server = Server();
        var moved = false;
        server.BeforePatch = s =>
        {
            if (moved) return;
            moved = true;
            s.Mutate(c =>
            {
                var groups = c["spec"]!["workerGroupSpecs"]!.AsArray();
                var first = groups[0]!;
                groups.RemoveAt(0);
                groups.Add(first);
            });
        };
        var result = await WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", Replicas = 4 }, null, None);

        Assert.Equal(new[] { ("npu", 4), ("small", 1) }, server.Groups());
        Assert.Equal(2, result.Attempts);
        Assert.Equal(0, result.Group.Index);
        Assert.Equal(2, server.Count("PATCH "));
        Assert.Equal(2, server.Count("GET /apis/ray.io"));
    }

    [Fact]
    public async Task A_group_that_keeps_moving_is_ScaleConflict_and_nothing_changes()
    {
        var server = Server();
        server.BeforePatch = s => s.Mutate(c =>
        {
            var groups = c["spec"]!["workerGroupSpecs"]!.AsArray();
            var first = groups[0]!;
            groups.RemoveAt(0);
            groups.Add(first);
        });
        var ex = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", Replicas = 4, MaxAttempts = 3 }, null, None));
        Assert.Equal(ErrorIds.ScaleConflict, ex.ErrorId);
        Assert.Equal(3, server.Count("PATCH "));
        Assert.DoesNotContain(server.Groups(), g => g.Replicas == 4);
    }

    [Fact]
    public async Task Bounds_are_enforced_unless_adjusted_in_the_same_patch()
    {
        var server = Server();
        var ex = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", Replicas = 9 }, null, None));
        Assert.Equal(ErrorIds.ReplicasOutOfRange, ex.ErrorId);
        Assert.Contains("minReplicas 1, maxReplicas 4", ex.Message);
        Assert.Equal(0, server.Count("PATCH "));

        var result = await WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", Replicas = 0, AdjustBounds = true }, null, None);
        Assert.True(result.BoundsAdjusted);
        Assert.Equal((0, 0, 4), (result.Group.Replicas, result.Group.Min, result.Group.Max));
        Assert.Equal(1, server.Count("PATCH "));
    }

    [Fact]
    public async Task Autoscaled_groups_need_force_and_scale_down_names_the_pods_to_remove()
    {
        var server = Server(autoscaling: true);
        server.Pods.Add(FakeClusterApi.NewPod("npu-3", "npu", phase: "Pending", ready: false, created: "2025-01-01T00:00:00Z"));
        server.Mutate(c => c["spec"]!["workerGroupSpecs"]![1]!["replicas"] = 3);
        var refused = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", Replicas = 1 }, null, None));
        Assert.Equal(ErrorIds.AutoscalerOwnsReplicas, refused.ErrorId);
        Assert.Equal(0, server.Count("PATCH "));

        var warnings = new List<string>();
        var result = await WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", Replicas = 1, Force = true }, warnings.Add, None);
        Assert.Equal(new[] { "npu-3", "npu-2" }, result.WorkersToDelete);
        Assert.Equal(new[] { "npu-3", "npu-2" }, result.Group.WorkersToDelete);
        Assert.Equal(2, warnings.Count);
        Assert.Contains("autoscaler owns", warnings[0]);
        // The fake head has no dashboard: Ray's state is unknown, and the choice falls back to readiness and age.
        Assert.Contains("Could not read which Ray nodes", warnings[1]);
        Assert.Equal(1, server.Count("GET /api/v1/namespaces/default/pods?labelSelector=ray.io/cluster=ray-cluster,ray.io/group=npu"));
    }

    [Fact]
    public async Task Scale_down_without_autoscaling_names_idle_nodes_before_busy_ones_in_the_same_patch()
    {
        var server = Server();
        server.Pods.RemoveAll(p => p["metadata"]!["labels"]!["ray.io/group"]!.GetValue<string>() == "npu");
        server.Pods.Add(FakeClusterApi.NewPod("npu-old-idle", "npu", created: "2026-01-01T00:00:00Z"));
        server.Pods.Add(FakeClusterApi.NewPod("npu-new-busy", "npu", created: "2026-01-05T00:00:00Z"));
        server.Pods.Add(FakeClusterApi.NewPod("npu-mid-idle", "npu", created: "2026-01-03T00:00:00Z"));
        server.Pods.Add(FakeClusterApi.NewPod("npu-busy-2", "npu", created: "2026-01-04T00:00:00Z"));
        server.NodeActivity = new() { ["npu-old-idle"] = "IDLE", ["npu-new-busy"] = "ACTIVE", ["npu-mid-idle"] = "IDLE", ["npu-busy-2"] = "ACTIVE" };
        server.Mutate(c => c["spec"]!["workerGroupSpecs"]![1]!["replicas"] = 4);
        server.Requests.Clear();

        var warnings = new List<string>();
        var result = await WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", Replicas = 1 }, warnings.Add, None);

        // Idle first (newest idle first), then the newest busy one.
        Assert.Equal(new[] { "npu-mid-idle", "npu-old-idle", "npu-new-busy" }, result.WorkersToDelete);
        Assert.Empty(warnings);
        var patch = Assert.Single(server.Patches).AsArray();
        Assert.Contains(patch, op => op!["path"]!.GetValue<string>().EndsWith("/replicas") && op["value"]!.GetValue<int>() == 1);
        Assert.Contains(patch, op => op!["path"]!.GetValue<string>() == "/metadata/generation");
        // GET the RayCluster, LIST the group's pods, GET the node summary through the service proxy, one PATCH.
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public async Task Workers_to_delete_chosen_by_the_user_must_be_pods_of_the_group()
    {
        var server = Server();
        server.Pods.RemoveAll(p => p["metadata"]!["labels"]!["ray.io/group"]!.GetValue<string>() == "npu");
        server.Pods.Add(FakeClusterApi.NewPod("npu-a", "npu"));
        server.Pods.Add(FakeClusterApi.NewPod("npu-b", "npu"));
        server.Mutate(c => c["spec"]!["workerGroupSpecs"]![1]!["replicas"] = 2);
        var refused = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", Replicas = 1, WorkersToDelete = ["npu-x"] }, null, None));
        Assert.Equal(ErrorIds.WorkerNotInGroup, refused.ErrorId);
        Assert.Contains("npu-a, npu-b", refused.Message);
        Assert.Empty(server.Patches);

        server.Requests.Clear();
        var chosen = await WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", Replicas = 1, WorkersToDelete = ["npu-a"] }, null, None);
        Assert.Equal(new[] { "npu-a" }, chosen.WorkersToDelete);
        // The user's choice covers the whole reduction: Ray's state is not read.
        Assert.DoesNotContain(server.Requests, r => r.Contains("/proxy/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bounds_alone_move_replicas_into_them_and_refuse_min_above_max()
    {
        var server = Server(autoscaling: true);
        var warnings = new List<string>();
        var result = await WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", MinReplicas = 3, MaxReplicas = 6 }, warnings.Add, None);
        Assert.Equal((3, 6, 3), (result.Group.Min, result.Group.Max, result.Group.Replicas));
        Assert.Contains("outside the new bounds", Assert.Single(warnings));

        var bad = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu", MinReplicas = 7 }, null, None));
        Assert.Equal(ErrorIds.ReplicasOutOfRange, bad.ErrorId);
        var nothing = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu" }, null, None));
        Assert.Equal(ErrorIds.ScaleTargetMissing, nothing.ErrorId);
        var deployment = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu-deploy", MaxReplicas = 3 }, null, None));
        Assert.Equal(ErrorIds.NotSupportedForDeploymentGroup, deployment.ErrorId);
    }

    [Fact]
    public async Task Deployment_groups_scale_through_the_scale_subresource()
    {
        var server = Server();
        var byName = await WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu-deploy", Replicas = 5 }, null, None);
        // By name: the RayCluster has no such group, so the Deployment New-RayWorkerDeployment would name
        // ray-cluster-npu-deploy is patched with a test of its labels: no LIST needed.
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal("PATCH /apis/apps/v1/namespaces/default/deployments/ray-cluster-npu-deploy", server.Requests[^1]);
        Assert.Equal((WorkerGroupKind.Deployment, 5, (int?)null), (byName.Group.Kind, byName.Group.Desired, byName.PreviousReplicas));
        Assert.NotEqual("7", byName.Group.ResourceVersion);

        server.Requests.Clear();
        var byKind = await WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "npu-deploy", Replicas = 1, Kind = WorkerGroupKind.Deployment }, null, None);
        Assert.Single(server.Requests);
        Assert.Equal(1, byKind.Group.Replicas);
        Assert.Equal(1, server.Deployments[0]["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task Unknown_group_is_WorkerGroupNotFound_listing_both_kinds()
    {
        var server = Server();
        var ex = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "gpu", Replicas = 1 }, null, None));
        Assert.Equal(ErrorIds.WorkerGroupNotFound, ex.ErrorId);
        Assert.Contains("small (RayCluster), npu (RayCluster), npu-deploy (Deployment ray-cluster-npu-deploy)", ex.Message);

        var byKind = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "ray-cluster", GroupName = "gpu", Replicas = 1, Kind = WorkerGroupKind.Deployment }, null, None));
        Assert.Equal(ErrorIds.WorkerGroupNotFound, byKind.ErrorId);
        Assert.Contains("npu (RayCluster)", byKind.Message);

        var noCluster = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.ScaleAsync(server.Connect(),
            new WorkerGroupScaleRequest { Namespace = "default", ClusterName = "nope", GroupName = "npu", Replicas = 1 }, null, None));
        Assert.Equal(ErrorIds.RayClusterNotFound, noCluster.ErrorId);
    }

    [Fact]
    public async Task Add_appends_with_one_patch_and_refuses_duplicates_of_either_kind()
    {
        var server = Server();
        JsonObject Build(RayCluster cluster, string name)
        {
            var options = new WorkerGroupOptions { GroupName = name, Image = cluster.Image!, Replicas = 1 };
            return WorkerGroupBuilder.Build(options);
        }

        var added = await WorkerGroupOperations.AddAsync(server.Connect(), "default", "ray-cluster", "gpu", c => Build(c, "gpu"), None);
        Assert.Equal(new[] { "small", "npu", "gpu" }, server.Groups().Select(g => g.Name));
        Assert.Equal(("gpu", 2, "rayproject/ray:2.46.0"), (added.GroupName, added.Index, added.Image));
        Assert.Equal(1, server.Count("PATCH "));

        var dupe = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.AddAsync(server.Connect(), "default", "ray-cluster", "npu", c => Build(c, "npu"), None));
        Assert.Equal(ErrorIds.WorkerGroupExists, dupe.ErrorId);
        var dupeDeployment = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.AddAsync(server.Connect(), "default", "ray-cluster", "npu-deploy", c => Build(c, "npu-deploy"), None));
        Assert.Equal(ErrorIds.WorkerGroupExists, dupeDeployment.ErrorId);
        Assert.Contains("Deployment ray-cluster-npu-deploy", dupeDeployment.Message);
        Assert.Equal(1, server.Count("PATCH "));
    }

    [Fact]
    public async Task Add_racing_an_add_of_the_same_name_ends_in_WorkerGroupExists_not_a_duplicate()
    {
        var server = Server();
        server.BeforePatch = s => s.Mutate(c => c["spec"]!["workerGroupSpecs"]!.AsArray().Add(new JsonObject { ["groupName"] = "gpu", ["replicas"] = 0 }));
        var ex = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.AddAsync(server.Connect(), "default", "ray-cluster", "gpu",
            c => WorkerGroupBuilder.Build(new WorkerGroupOptions { GroupName = "gpu", Image = "img" }), None));
        Assert.Equal(ErrorIds.WorkerGroupExists, ex.ErrorId);
        Assert.Single(server.Groups(), g => g.Name == "gpu");
    }

    [Fact]
    public async Task Create_deployment_needs_the_cluster_unless_forced()
    {
        var server = Server();
        JsonObject Build(RayCluster? cluster, string clusterName)
        {
            var options = new WorkerDeploymentOptions { ClusterName = clusterName, Namespace = "default" };
            options.Worker.GroupName = "npu2";
            options.Worker.Image = cluster?.Image ?? "img";
            return WorkerDeploymentBuilder.Build(options);
        }

        var missing = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.CreateDeploymentAsync(server.Connect(), "default", "ghost", "npu2", c => Build(c, "ghost"), false, null, None));
        Assert.Equal(ErrorIds.RayClusterNotFound, missing.ErrorId);
        Assert.Equal(0, server.Count("POST "));

        var warnings = new List<string>();
        var forced = await WorkerGroupOperations.CreateDeploymentAsync(server.Connect(), "default", "ghost", "npu2", c => Build(c, "ghost"), true, warnings.Add, None);
        Assert.Equal(("ghost", "ghost-npu2", "img"), (forced.ClusterName, forced.DeploymentName, forced.Image));
        Assert.Contains("ghost-head-svc.default.svc.cluster.local:6379", Assert.Single(warnings));

        var created = await WorkerGroupOperations.CreateDeploymentAsync(server.Connect(), "default", "ray-cluster", "npu2", c => Build(c, "ray-cluster"), false, null, None);
        Assert.Equal(("rayproject/ray:2.46.0", WorkerGroupKind.Deployment), (created.Image, created.Kind));

        var again = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.CreateDeploymentAsync(server.Connect(), "default", "ray-cluster", "npu2", c => Build(c, "ray-cluster"), false, null, None));
        Assert.Equal(ErrorIds.WorkerGroupExists, again.ErrorId);
        var clash = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.CreateDeploymentAsync(server.Connect(), "default", "ray-cluster", "npu", c => Build(c, "ray-cluster"), false, null, None));
        Assert.Contains("npu (RayCluster)", clash.Message);
    }

    [Fact]
    public async Task Wait_polls_until_the_group_settles_and_times_out_with_WorkerGroupNotReady()
    {
        var server = Server();
        var group = (await WorkerGroupOperations.ListAsync(server.Connect(), "default", "ray-cluster", None)).Groups.Single(g => g.GroupName == "small");
        var seen = new List<int>();
        var ex = await Assert.ThrowsAsync<RayPSException>(() => WorkerGroupOperations.WaitSettledAsync(server.Connect(), group, TimeSpan.FromMilliseconds(50), g => seen.Add(g.Ready), None, TimeSpan.FromMilliseconds(10)));
        Assert.Equal(ErrorIds.WorkerGroupNotReady, ex.ErrorId);
        Assert.Contains("0 of 1 pods ready", ex.Message);
        Assert.NotEmpty(seen);

        var npu = (await WorkerGroupOperations.ListAsync(server.Connect(), "default", "ray-cluster", None)).Groups.Single(g => g.GroupName == "npu");
        var settled = await WorkerGroupOperations.WaitSettledAsync(server.Connect(), npu, TimeSpan.FromSeconds(5), null, None, TimeSpan.FromMilliseconds(10));
        Assert.True(WorkerGroupOperations.IsSettled(settled));
    }
}
