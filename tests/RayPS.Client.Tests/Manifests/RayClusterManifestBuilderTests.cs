using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Manifests;

namespace RayPS.Client.Tests.Manifests;

public sealed class RayClusterManifestBuilderTests
{
    private static JsonObject Worker(JsonObject cluster, int index = 0) => cluster["spec"]!["workerGroupSpecs"]![index]!.AsObject();

    private static JsonObject Container(JsonObject group) => group["template"]!["spec"]!["containers"]![0]!.AsObject();

    /// <summary>Builds, and checks that what was built is valid for both KubeRay CRDs.</summary>
    private static JsonObject Build(RayClusterOptions options)
    {
        var cluster = RayClusterManifestBuilder.Build(options);
        foreach (var schema in CrdSchema.Both)
        {
            schema.AssertValid(cluster);
        }
        return cluster;
    }

    [Fact]
    public void Defaults_follow_chart_1_4_2_and_requests_equal_limits()
    {
        var cluster = Build(new RayClusterOptions
        {
            Name = "ray-cluster",
            Namespace = "kube-system",
            HeadCpu = "4",
            HeadMemory = "8Gi",
            WorkerGroups = { new WorkerGroupOptions { Cpu = "1", Memory = "1Gi" } },
        });

        Assert.Equal("ray.io/v1", cluster["apiVersion"]!.GetValue<string>());
        Assert.Equal("RayCluster", cluster["kind"]!.GetValue<string>());
        Assert.Equal("kube-system", cluster["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Equal("rayps", cluster["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>());
        Assert.Equal("2.46.0", cluster["spec"]!["rayVersion"]!.GetValue<string>());
        var head = cluster["spec"]!["headGroupSpec"]!;
        Assert.Equal("0.0.0.0", head["rayStartParams"]!["dashboard-host"]!.GetValue<string>());
        var headContainer = head["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("ray-head", headContainer["name"]!.GetValue<string>());
        Assert.Equal("rayproject/ray:2.46.0", headContainer["image"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(headContainer["resources"]!["limits"], headContainer["resources"]!["requests"]));

        var group = Worker(cluster);
        Assert.Equal("workergroup", group["groupName"]!.GetValue<string>());
        Assert.Equal(1, group["replicas"]!.GetValue<int>());
        Assert.Equal(0, group["minReplicas"]!.GetValue<int>());
        Assert.Equal(int.MaxValue, group["maxReplicas"]!.GetValue<int>());
        Assert.Empty(group["rayStartParams"]!.AsObject());
        Assert.Equal("ray-worker", Container(group)["name"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(Container(group)["resources"]!["limits"], Container(group)["resources"]!["requests"]));
    }

    [Fact]
    public void Ascend_devices_become_the_Ray_resource_NPU_with_the_quoted_json_KubeRay_needs()
    {
        var worker = new WorkerGroupOptions { Cpu = "12", Memory = "40Gi", Replicas = 2 };
        worker.Accelerator["huawei.com/Ascend910B"] = "1";
        worker.Accelerator["huawei.com/Ascend910B-memory"] = "16384";
        var cluster = Build(new RayClusterOptions { Name = "npu", WorkerGroups = { worker } });

        var group = Worker(cluster);
        Assert.Equal("'{\"NPU\":1}'", group["rayStartParams"]!["resources"]!.GetValue<string>());
        var resources = Container(group)["resources"]!;
        foreach (var kind in new[] { "limits", "requests" })
        {
            Assert.Equal("1", resources[kind]!["huawei.com/Ascend910B"]!.GetValue<string>());
            Assert.Equal("16384", resources[kind]!["huawei.com/Ascend910B-memory"]!.GetValue<string>());
            Assert.Equal("12", resources[kind]!["cpu"]!.GetValue<string>());
            Assert.Equal("40Gi", resources[kind]!["memory"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Ray_resources_merge_with_NPU_and_a_users_NPU_wins()
    {
        var worker = new WorkerGroupOptions();
        worker.Accelerator["huawei.com/Ascend910B"] = "2";
        worker.RayResources["ascend"] = 20;
        var merged = Build(new RayClusterOptions { Name = "c", WorkerGroups = { worker } });
        Assert.Equal("'{\"NPU\":2,\"ascend\":20}'", Worker(merged)["rayStartParams"]!["resources"]!.GetValue<string>());

        worker.RayResources["NPU"] = 0;
        var overridden = Build(new RayClusterOptions { Name = "c", WorkerGroups = { worker } });
        Assert.Equal("'{\"NPU\":0,\"ascend\":20}'", Worker(overridden)["rayStartParams"]!["resources"]!.GetValue<string>());
    }

    [Fact]
    public void Nvidia_gpus_are_left_to_KubeRay_num_gpus()
    {
        var worker = new WorkerGroupOptions { Gpu = 2 };
        var cluster = Build(new RayClusterOptions { Name = "gpu", WorkerGroups = { worker } });
        var group = Worker(cluster);
        Assert.Equal("2", Container(group)["resources"]!["limits"]!["nvidia.com/gpu"]!.GetValue<string>());
        Assert.Equal("2", Container(group)["resources"]!["requests"]!["nvidia.com/gpu"]!.GetValue<string>());
        Assert.False(group["rayStartParams"]!.AsObject().ContainsKey("resources"));
    }

    [Fact]
    public void Seed_style_ray_resources_reach_ray_start_as_the_seed_writes_them()
    {
        var worker = new WorkerGroupOptions();
        worker.RayResources["ascend"] = 20;
        var cluster = Build(new RayClusterOptions { Name = "c", WorkerGroups = { worker } });
        // The seed's Deployment runs: ray start ... --resources='{"ascend":20}'
        Assert.Equal("'{\"ascend\":20}'", Worker(cluster)["rayStartParams"]!["resources"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"NPU\": 1}")]
    [InlineData("'{\"NPU\":1}'")]
    [InlineData("\"{\\\"NPU\\\": 1}\"")]
    public void A_resources_rayStartParam_written_by_hand_is_requoted(string given)
    {
        var worker = new WorkerGroupOptions();
        worker.RayStartParams["resources"] = given;
        var cluster = Build(new RayClusterOptions { Name = "c", WorkerGroups = { worker } });
        Assert.Equal("'{\"NPU\":1}'", Worker(cluster)["rayStartParams"]!["resources"]!.GetValue<string>());
    }

    [Fact]
    public void Resources_given_twice_or_not_as_json_are_refused()
    {
        var twice = new WorkerGroupOptions();
        twice.RayStartParams["resources"] = "{\"a\":1}";
        twice.RayResources["b"] = 1;
        Assert.Equal(ErrorIds.InvalidRayResource, Assert.Throws<RayPSException>(() => WorkerGroupBuilder.Build(Image(twice))).ErrorId);

        var notJson = new WorkerGroupOptions();
        notJson.RayStartParams["resources"] = "NPU=1";
        Assert.Equal(ErrorIds.InvalidRayResource, Assert.Throws<RayPSException>(() => WorkerGroupBuilder.Build(Image(notJson))).ErrorId);
    }

    [Fact]
    public void Cluster_wide_settings_reach_every_pod_and_groups_keep_their_own()
    {
        var options = new RayClusterOptions
        {
            Name = "c",
            ServiceType = "NodePort",
            EnableAutoscaling = true,
            IdleTimeoutSeconds = 120,
            Image = "registry.local/ray:2.48.0-npu",
        };
        options.Labels["team"] = "ml";
        options.Annotations["owner"] = "ops";
        options.PodAnnotations["prometheus.io/scrape"] = "true";
        options.NodeSelector["pool"] = "ray";
        options.HeadRayStartParams["num-cpus"] = "0";
        var worker = new WorkerGroupOptions { GroupName = "npu" };
        worker.NodeSelector["pool"] = "npu";
        options.WorkerGroups.Add(worker);

        var cluster = Build(options);

        Assert.Equal("ml", cluster["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Equal("ops", cluster["metadata"]!["annotations"]!["owner"]!.GetValue<string>());
        Assert.True(cluster["spec"]!["enableInTreeAutoscaling"]!.GetValue<bool>());
        Assert.Equal(120, cluster["spec"]!["autoscalerOptions"]!["idleTimeoutSeconds"]!.GetValue<int>());
        var head = cluster["spec"]!["headGroupSpec"]!;
        Assert.Equal("NodePort", head["serviceType"]!.GetValue<string>());
        Assert.Equal("0", head["rayStartParams"]!["num-cpus"]!.GetValue<string>());
        Assert.Equal("ray", head["template"]!["spec"]!["nodeSelector"]!["pool"]!.GetValue<string>());
        Assert.Equal("true", head["template"]!["metadata"]!["annotations"]!["prometheus.io/scrape"]!.GetValue<string>());
        var group = Worker(cluster);
        Assert.Equal("npu", group["template"]!["spec"]!["nodeSelector"]!["pool"]!.GetValue<string>());
        Assert.Equal("true", group["template"]!["metadata"]!["annotations"]!["prometheus.io/scrape"]!.GetValue<string>());
        Assert.Equal("registry.local/ray:2.48.0-npu", Container(group)["image"]!.GetValue<string>());
    }

    [Fact]
    public void Validation_fails_before_anything_is_built()
    {
        Assert.Equal(ErrorIds.InvalidClusterName, Assert.Throws<RayPSException>(() => Build(new RayClusterOptions { Name = "Bad_Name" })).ErrorId);
        Assert.Equal(ErrorIds.InvalidQuantity, Assert.Throws<RayPSException>(() => Build(new RayClusterOptions { Name = "c", HeadMemory = "8GB" })).ErrorId);
        Assert.Equal(ErrorIds.ReplicasOutOfRange, Assert.Throws<RayPSException>(() =>
            Build(new RayClusterOptions { Name = "c", WorkerGroups = { new WorkerGroupOptions { Replicas = 5, MaxReplicas = 3 } } })).ErrorId);
        Assert.Equal(ErrorIds.DuplicateWorkerGroup, Assert.Throws<RayPSException>(() =>
            Build(new RayClusterOptions { Name = "c", WorkerGroups = { new WorkerGroupOptions(), new WorkerGroupOptions() } })).ErrorId);
        var accelerator = new WorkerGroupOptions();
        accelerator.Accelerator["huawei.com/Ascend910B"] = "abc";
        var bad = Assert.Throws<RayPSException>(() => Build(new RayClusterOptions { Name = "c", WorkerGroups = { accelerator } }));
        Assert.Equal(ErrorIds.InvalidQuantity, bad.ErrorId);
        Assert.Contains("-WorkerAccelerator 'huawei.com/Ascend910B'", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_yaml_reads_back_to_the_same_object()
    {
        var worker = new WorkerGroupOptions { Cpu = "12", Memory = "40Gi", Replicas = 2 };
        worker.Accelerator["huawei.com/Ascend910B"] = "1";
        worker.RayResources["ascend"] = 20;
        worker.Env["RAY_DEDUP_LOGS"] = "0";
        var cluster = Build(new RayClusterOptions { Name = "c", Namespace = "kube-system", WorkerGroups = { worker } });

        var yaml = ManifestYaml.Write(cluster);
        var back = ManifestReader.ParseRayClusters(yaml, "test")[0];

        Assert.True(JsonNode.DeepEquals(cluster, back), yaml);
        Assert.Contains("resources: \"'{\\\"NPU\\\":1,\\\"ascend\\\":20}'\"", yaml, StringComparison.Ordinal);
    }

    private static WorkerGroupOptions Image(WorkerGroupOptions options)
    {
        options.Image = "rayproject/ray:2.46.0";
        return options;
    }
}
