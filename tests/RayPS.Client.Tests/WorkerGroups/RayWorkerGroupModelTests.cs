using System.Text.Json.Nodes;
using RayPS.Manifests;
using RayPS.Model;

namespace RayPS.Client.Tests.WorkerGroups;

public sealed class RayWorkerGroupModelTests
{
    [Fact]
    public void RayCluster_group_takes_resources_from_the_spec_and_counts_from_its_pods()
    {
        var raw = FakeClusterApi.NewCluster(true, ("small", 1, 0, 5), ("npu", 3, 1, 4));
        raw["spec"]!["workerGroupSpecs"]![1]!["scaleStrategy"] = new JsonObject { ["workersToDelete"] = new JsonArray("npu-x") };
        var cluster = RayCluster.FromJson(raw, "ctx");
        var terminating = FakeClusterApi.NewPod("npu-gone", "npu");
        terminating["metadata"]!["deletionTimestamp"] = "2026-01-01T00:00:00Z";
        var pods = new[]
        {
            FakeClusterApi.NewPod("npu-a", "npu"),
            FakeClusterApi.NewPod("npu-b", "npu", phase: "Running", ready: false),
            FakeClusterApi.NewPod("npu-c", "npu", phase: "Pending", ready: false),
            terminating,
            FakeClusterApi.NewPod("npu-deploy-1", "npu", owner: "ReplicaSet"),
            FakeClusterApi.NewPod("small-a", "small"),
        }.Select(RayPodFacts.FromJson).ToList();

        var g = RayWorkerGroup.FromRayCluster(cluster, 1, pods);

        Assert.Equal(WorkerGroupKind.RayCluster, g.Kind);
        Assert.Equal(("ray-cluster", "default", "npu", 1), (g.ClusterName, g.Namespace, g.GroupName, g.Index));
        Assert.Equal((3, 3, 3, 1, 2), (g.Replicas, g.DesiredWorkers, g.CurrentWorkers, g.ReadyWorkers, g.AvailableWorkers));
        Assert.Equal((1, 4), (g.MinReplicas, g.MaxReplicas));
        Assert.Equal(("12", "40Gi", (string?)null), (g.Cpu, g.Memory, g.Gpu));
        Assert.Equal("1", g.Accelerators["huawei.com/Ascend910B"]);
        Assert.Equal("huawei.com/Ascend910B=1", g.AcceleratorText);
        Assert.Equal(20m, g.RayResources["ascend"]);
        Assert.True(g.AutoscalingEnabled);
        Assert.Equal(new[] { "npu-x" }, g.WorkersToDelete);
        Assert.Equal(new[] { "npu-a", "npu-b", "npu-c" }, g.Pods);
        Assert.Equal("rayproject/ray:2.46.0", g.Image);
        Assert.Null(g.DeploymentName);
        Assert.Equal("ctx", g.Context);
    }

    [Fact]
    public void Suspended_group_desires_nothing_and_multi_host_groups_count_pods()
    {
        var raw = FakeClusterApi.NewCluster(false, ("tpu", 2, 0, 4), ("off", 2, 0, 4));
        raw["spec"]!["workerGroupSpecs"]![0]!["numOfHosts"] = 4;
        raw["spec"]!["workerGroupSpecs"]![1]!["suspend"] = true;
        var cluster = RayCluster.FromJson(FakeClusterApi.Reparse(raw));
        Assert.Equal(8, RayWorkerGroup.FromRayCluster(cluster, 0, Array.Empty<RayPodFacts>()).DesiredWorkers);
        var off = RayWorkerGroup.FromRayCluster(cluster, 1, Array.Empty<RayPodFacts>());
        Assert.True(off.Suspended);
        Assert.Equal(0, off.DesiredWorkers);
    }

    [Fact]
    public void Deployment_group_reads_the_seed_deployment_and_its_status()
    {
        var deployment = FakeClusterApi.Reparse(WorkerDeploymentBuilder.Build(WorkerDeploymentBuilderTests.SeedOptions()));
        deployment["metadata"]!["resourceVersion"] = "42";
        deployment["status"] = JsonNode.Parse("""{"replicas":2,"readyReplicas":1,"availableReplicas":1,"updatedReplicas":2}""");
        var pod = FakeClusterApi.NewPod("ray-cluster-npu-workergroup-abc-1", "workergroup", owner: "ReplicaSet");
        pod["metadata"]!["labels"]!["ray.io/identifier"] = "ray-cluster-npu-worker";

        var g = RayWorkerGroup.FromDeployment(deployment, new[] { RayPodFacts.FromJson(pod) }, "ctx");

        Assert.Equal(WorkerGroupKind.Deployment, g.Kind);
        Assert.Equal(("ray-cluster", "kube-system", "workergroup", "ray-cluster-npu-workergroup"), (g.ClusterName, g.Namespace, g.GroupName, g.DeploymentName));
        Assert.Equal((2, 2, 2, 1, 1), (g.Replicas, g.DesiredWorkers, g.CurrentWorkers, g.ReadyWorkers, g.AvailableWorkers));
        Assert.Equal((0, int.MaxValue), (g.MinReplicas, g.MaxReplicas));
        Assert.Equal(("12", "40Gi"), (g.Cpu, g.Memory));
        Assert.Equal("16384", g.Accelerators["huawei.com/Ascend910B-memory"]);
        Assert.Equal(20m, g.RayResources["ascend"]);
        Assert.Equal(1m, g.RayResources["NPU"]);
        Assert.False(g.AutoscalingEnabled);
        Assert.Equal("42", g.ResourceVersion);
        Assert.Equal(-1, g.Index);
        Assert.Equal(new[] { "ray-cluster-npu-workergroup-abc-1" }, g.Pods);
    }

    [Theory]
    [InlineData("'{\"ascend\":20}'", "ascend", 20)]
    [InlineData("\"{\\\"ascend\\\": 20, \\\"x\\\": 1.5}\"", "x", 1.5)]
    [InlineData("{\"NPU\": \"2\"}", "NPU", 2)]
    public void Ray_resources_are_read_in_every_quoting_users_write(string text, string key, double amount)
    {
        Assert.Equal((decimal)amount, RayResourceText.ParseJsonMap(text)[key]);
    }

    [Fact]
    public void Unreadable_ray_resources_are_empty_and_the_command_line_form_is_found()
    {
        Assert.Empty(RayResourceText.ParseJsonMap("not json"));
        Assert.Empty(RayResourceText.ParseJsonMap(null));
        Assert.Equal(20m, RayResourceText.FromRayStartCommand("ulimit -n 1; ray start --block --resources='{\"ascend\":20}' --num-cpus=4")["ascend"]);
        Assert.Equal(3m, RayResourceText.FromRayStartCommand("ray start --resources={\"a\":3}")["a"]);
        Assert.Empty(RayResourceText.FromRayStartCommand("ray start --block"));
    }
}
