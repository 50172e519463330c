using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Manifests;

namespace RayPS.Client.Tests.WorkerGroups;

public sealed class WorkerDeploymentBuilderTests
{
    /// <summary>The seed's §3 worker (ray-cluster-npu-workergroup in kube-system) as options.</summary>
    internal static WorkerDeploymentOptions SeedOptions()
    {
        var options = new WorkerDeploymentOptions
        {
            ClusterName = "ray-cluster",
            Namespace = "kube-system",
            Name = "ray-cluster-npu-workergroup",
            Identifier = "ray-cluster-npu-worker",
            RayMemory = "20000000000",
        };
        options.Worker.GroupName = "workergroup";
        options.Worker.Replicas = 2;
        options.Worker.Image = "harbor.xx.net/library/rayproject/ray:2.48.0.py311-npu-vjepa2-aarch64-20250911";
        options.Worker.Cpu = "12";
        options.Worker.Memory = "40Gi";
        options.Worker.Accelerator["huawei.com/Ascend910B"] = "1";
        options.Worker.Accelerator["huawei.com/Ascend910B-memory"] = "16384";
        options.Worker.RayResources["ascend"] = 20;
        return options;
    }

    [Fact]
    public void Builds_the_seed_deployment()
    {
        var deployment = WorkerDeploymentBuilder.Build(SeedOptions());

        // The seed's Deployment, plus: ray.io/group, node-type and identifier on every label set (so Get-RayWorkerGroup
        // finds the Deployment and its pods), managed-by rayps on the Deployment, timeoutSeconds 2 so the 2-second wget
        // can finish, and NPU = 1 for the Ascend device (the rule RayCluster groups follow too).
        var expected = JsonNode.Parse("""
        {
          "apiVersion": "apps/v1",
          "kind": "Deployment",
          "metadata": {
            "name": "ray-cluster-npu-workergroup",
            "namespace": "kube-system",
            "labels": {
              "ray.io/cluster": "ray-cluster",
              "ray.io/group": "workergroup",
              "ray.io/node-type": "worker",
              "ray.io/identifier": "ray-cluster-npu-worker",
              "app.kubernetes.io/managed-by": "rayps"
            }
          },
          "spec": {
            "replicas": 2,
            "selector": { "matchLabels": { "ray.io/identifier": "ray-cluster-npu-worker" } },
            "template": {
              "metadata": {
                "labels": {
                  "ray.io/cluster": "ray-cluster",
                  "ray.io/group": "workergroup",
                  "ray.io/node-type": "worker",
                  "ray.io/identifier": "ray-cluster-npu-worker"
                }
              },
              "spec": {
                "containers": [
                  {
                    "name": "ray-worker",
                    "image": "harbor.xx.net/library/rayproject/ray:2.48.0.py311-npu-vjepa2-aarch64-20250911",
                    "command": ["/bin/bash", "-c", "--"],
                    "args": ["ulimit -n 65536; ray start --address=ray-cluster-head-svc.kube-system.svc.cluster.local:6379 --block --dashboard-agent-listen-port=52365 --memory=20000000000 --metrics-export-port=8080 --num-cpus=12 --resources='{\"NPU\":1,\"ascend\":20}'"],
                    "resources": {
                      "limits": { "cpu": "12", "memory": "40Gi", "huawei.com/Ascend910B": "1", "huawei.com/Ascend910B-memory": "16384" },
                      "requests": { "cpu": "12", "memory": "40Gi", "huawei.com/Ascend910B": "1", "huawei.com/Ascend910B-memory": "16384" }
                    },
                    "livenessProbe": {
                      "exec": { "command": ["bash", "-c", "wget --tries 1 -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep success"] },
                      "initialDelaySeconds": 30,
                      "periodSeconds": 5,
                      "timeoutSeconds": 2,
                      "failureThreshold": 120
                    }
                  }
                ]
              }
            }
          }
        }
        """);
        Assert.True(JsonNode.DeepEquals(expected, deployment), deployment.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    [Fact]
    public void Default_name_is_cluster_dash_group_made_a_dns_label_and_is_the_identifier()
    {
        var options = new WorkerDeploymentOptions { ClusterName = "ray-cluster", Namespace = "ml" };
        options.Worker.GroupName = "NPU_Group.v2";
        options.Worker.Image = "rayproject/ray:2.46.0";
        var deployment = WorkerDeploymentBuilder.Build(options);

        Assert.Equal("ray-cluster-npu-group-v2", deployment["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("ray-cluster-npu-group-v2", deployment["spec"]!["selector"]!["matchLabels"]!["ray.io/identifier"]!.GetValue<string>());
        Assert.Equal("NPU_Group.v2", deployment["spec"]!["template"]!["metadata"]!["labels"]!["ray.io/group"]!.GetValue<string>());
        var args = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]![0]!.GetValue<string>();
        Assert.Equal("ulimit -n 65536; ray start --address=ray-cluster-head-svc.ml.svc.cluster.local:6379 --block --dashboard-agent-listen-port=52365 --metrics-export-port=8080", args);
        Assert.Null(deployment["spec"]!["template"]!["spec"]!["volumes"]);
        Assert.Equal(1, deployment["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public void Ascend910B_profile_mounts_the_driver_paths_read_only_and_requests_one_npu()
    {
        var options = new WorkerDeploymentOptions { ClusterName = "ray-cluster" };
        options.Worker.GroupName = "npu";
        options.Worker.Image = "img";
        options.HostPathMounts.Add(new HostPathMount("/data/models", "/models"));
        WorkerDeploymentProfiles.Apply(options, WorkerDeploymentProfile.Ascend910B);
        var deployment = WorkerDeploymentBuilder.Build(options);

        var podSpec = deployment["spec"]!["template"]!["spec"]!;
        var container = podSpec["containers"]![0]!;
        Assert.Equal("1", container["resources"]!["limits"]!["huawei.com/Ascend910B"]!.GetValue<string>());
        Assert.Contains("--resources='{\"NPU\":1}'", container["args"]![0]!.GetValue<string>());
        var mounts = container["volumeMounts"]!.AsArray().Select(m => (m!["mountPath"]!.GetValue<string>(), m["readOnly"]?.GetValue<bool>() ?? false)).ToList();
        Assert.Equal(new[]
        {
            ("/models", false),
            ("/usr/local/Ascend/driver", true),
            ("/usr/local/Ascend/add-ons", true),
            ("/usr/local/dcmi", true),
            ("/usr/local/bin/npu-smi", true),
            ("/etc/ascend_install.info", true),
        }, mounts);
        var volumes = podSpec["volumes"]!.AsArray();
        Assert.Equal("usr-local-ascend-driver", volumes[1]!["name"]!.GetValue<string>());
        Assert.Equal("/usr/local/Ascend/driver", volumes[1]!["hostPath"]!["path"]!.GetValue<string>());
        Assert.Equal(volumes.Select(v => v!["name"]!.GetValue<string>()), container["volumeMounts"]!.AsArray().Select(m => m!["name"]!.GetValue<string>()));
    }

    [Fact]
    public void Profile_keeps_what_the_user_set()
    {
        var options = new WorkerDeploymentOptions { ClusterName = "c" };
        options.Worker.GroupName = "g";
        options.Worker.Image = "img";
        options.Worker.Accelerator["huawei.com/Ascend910B"] = "8";
        options.HostPathMounts.Add(new HostPathMount("/opt/driver", "/usr/local/Ascend/driver"));
        WorkerDeploymentProfiles.Apply(options, WorkerDeploymentProfile.Ascend910B);

        Assert.Equal("8", options.Worker.Accelerator["huawei.com/Ascend910B"]);
        Assert.Single(options.HostPathMounts, m => m.MountPath == "/usr/local/Ascend/driver");
        Assert.Equal("/opt/driver", options.HostPathMounts.Single(m => m.MountPath == "/usr/local/Ascend/driver").HostPath);
        Assert.Contains("\"NPU\":8", WorkerDeploymentBuilder.RayStartCommand(options));
    }

    [Fact]
    public void Command_line_rounds_cpus_up_adds_gpus_and_lets_user_flags_win()
    {
        var options = new WorkerDeploymentOptions { ClusterName = "c", Namespace = "ns", UlimitNoFile = 1024, DashboardAgentPort = 52000, MetricsExportPort = 9090, RayMemory = "1Gi" };
        options.Worker.GroupName = "gpu";
        options.Worker.Image = "img";
        options.Worker.Cpu = "1500m";
        options.Worker.Gpu = 2;
        options.Worker.RayStartParams["metrics-export-port"] = "9999";
        options.Worker.RayStartParams["--object-store-memory"] = "1000000";
        var line = WorkerDeploymentBuilder.RayStartCommand(options);
        Assert.Equal("ulimit -n 1024; ray start --address=c-head-svc.ns.svc.cluster.local:6379 --block --dashboard-agent-listen-port=52000 --memory=1073741824 --metrics-export-port=9999 --num-cpus=2 --num-gpus=2 --object-store-memory=1000000", line);
        var deployment = WorkerDeploymentBuilder.Build(options);
        Assert.Contains("localhost:52000/api/local_raylet_healthz", deployment.ToJsonString());
        Assert.Equal("2", deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!["nvidia.com/gpu"]!.GetValue<string>());
    }

    [Fact]
    public void Env_node_selector_and_tolerations_reach_the_pod()
    {
        var options = new WorkerDeploymentOptions { ClusterName = "c" };
        options.Worker.GroupName = "g";
        options.Worker.Image = "img";
        options.Worker.Env["RAY_LOG_LEVEL"] = "debug";
        options.Worker.NodeSelector["accelerator"] = "ascend-910b";
        options.Worker.Tolerations.Add(new JsonObject { ["key"] = "npu", ["operator"] = "Exists", ["effect"] = "NoSchedule" });
        var spec = WorkerDeploymentBuilder.Build(options)["spec"]!["template"]!["spec"]!;
        Assert.Equal("debug", spec["containers"]![0]!["env"]![0]!["value"]!.GetValue<string>());
        Assert.Equal("ascend-910b", spec["nodeSelector"]!["accelerator"]!.GetValue<string>());
        Assert.Equal("npu", spec["tolerations"]![0]!["key"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Bad_Name", null, ErrorIds.InvalidDeploymentName)]
    [InlineData(null, "bad identifier", ErrorIds.InvalidDeploymentName)]
    public void Invalid_names_fail_before_anything_is_sent(string? name, string? identifier, string errorId)
    {
        var options = new WorkerDeploymentOptions { ClusterName = "c", Name = name, Identifier = identifier };
        options.Worker.GroupName = "g";
        options.Worker.Image = "img";
        var ex = Assert.Throws<RayPSException>(() => WorkerDeploymentBuilder.Build(options));
        Assert.Equal(errorId, ex.ErrorId);
    }

    [Fact]
    public void Bad_inputs_name_the_parameter()
    {
        WorkerDeploymentOptions Make(Action<WorkerDeploymentOptions> change)
        {
            var o = new WorkerDeploymentOptions { ClusterName = "c" };
            o.Worker.GroupName = "g";
            o.Worker.Image = "img";
            change(o);
            return o;
        }

        var cpu = Assert.Throws<RayPSException>(() => WorkerDeploymentBuilder.Build(Make(o => o.Worker.Cpu = "12 cores")));
        Assert.Equal(ErrorIds.InvalidQuantity, cpu.ErrorId);
        Assert.StartsWith("-Cpu", cpu.Message);
        var memory = Assert.Throws<RayPSException>(() => WorkerDeploymentBuilder.Build(Make(o => o.RayMemory = "20GB")));
        Assert.Contains("-RayMemory", memory.Message);
        Assert.Contains("20Gi", memory.Message);
        var mount = Assert.Throws<RayPSException>(() => WorkerDeploymentBuilder.Build(Make(o => o.HostPathMounts.Add(new HostPathMount("relative", "/x")))));
        Assert.Equal(ErrorIds.InvalidHostPathMount, mount.ErrorId);
        var twice = Assert.Throws<RayPSException>(() => WorkerDeploymentBuilder.Build(Make(o =>
        {
            o.HostPathMounts.Add(new HostPathMount("/a", "/x"));
            o.HostPathMounts.Add(new HostPathMount("/b", "/x"));
        })));
        Assert.Equal(ErrorIds.InvalidHostPathMount, twice.ErrorId);
        Assert.Equal(ErrorIds.InvalidQuantity, Assert.Throws<RayPSException>(() => WorkerDeploymentBuilder.Build(Make(o => o.DashboardAgentPort = 70000))).ErrorId);
        Assert.Equal(ErrorIds.ReplicasOutOfRange, Assert.Throws<RayPSException>(() => WorkerDeploymentBuilder.Build(Make(o => o.Worker.Replicas = -1))).ErrorId);
        Assert.Equal(ErrorIds.InvalidRayResource, Assert.Throws<RayPSException>(() => WorkerDeploymentBuilder.Build(Make(o => o.Worker.RayResources["CPU"] = 4))).ErrorId);
        Assert.Equal(ErrorIds.InvalidQuantity, Assert.Throws<RayPSException>(() => WorkerDeploymentBuilder.Build(Make(o => o.Worker.Accelerator["huawei.com/Ascend910B"] = "0.5"))).ErrorId);
        Assert.Equal(ErrorIds.InvalidManifestKind, Assert.Throws<RayPSException>(() => WorkerDeploymentBuilder.Build(Make(o => o.Worker.Image = ""))).ErrorId);
    }
}
