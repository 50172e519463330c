using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Manifests;

namespace RayPS.Client.Tests.Manifests;

public sealed class HelmValuesRendererTests
{
    private static JsonObject Spec(HelmRenderResult r) => r.Cluster["spec"]!.AsObject();

    private static JsonArray Groups(HelmRenderResult r) => Spec(r)["workerGroupSpecs"]!.AsArray();

    private static JsonObject Container(JsonNode group) => group["template"]!["spec"]!["containers"]![0]!.AsObject();

    /// <summary>Renders, and checks that what was rendered is valid for both KubeRay CRDs.</summary>
    private static HelmRenderResult Render(string yaml, string release = "ray-cluster", string? name = null) =>
        Valid(HelmValuesRenderer.Render(yaml, release, "values.yaml", name));

    private static HelmRenderResult RenderFile(string file, string release, string? name = null) =>
        Valid(HelmValuesRenderer.RenderFile(TestData.File(file), release, name));

    private static HelmRenderResult Valid(HelmRenderResult result)
    {
        foreach (var schema in CrdSchema.Both)
        {
            schema.AssertValid(result.Cluster);
        }
        return result;
    }

    [Fact]
    public void Embedded_chart_defaults_equal_the_charts_values_file()
    {
        var chart = TestData.Yaml("kuberay/v1.4.2/ray-cluster-chart-values.yaml");
        Assert.True(JsonNode.DeepEquals(chart, HelmChartDefaults.Values()), HelmChartDefaults.Values().ToJsonString());
    }

    [Fact]
    public void Chart_defaults_render_the_charts_RayCluster()
    {
        var result = Render("", release: "raycluster");

        Assert.Empty(result.Warnings);
        // KubeRay's quick start: helm install raycluster kuberay/ray-cluster gives RayCluster raycluster-kuberay.
        Assert.Equal("raycluster-kuberay", result.Name);
        var labels = result.Cluster["metadata"]!["labels"]!;
        Assert.Equal("kuberay", labels["app.kubernetes.io/name"]!.GetValue<string>());
        Assert.Equal("ray-cluster-1.4.2", labels["helm.sh/chart"]!.GetValue<string>());
        Assert.Equal("raycluster", labels["app.kubernetes.io/instance"]!.GetValue<string>());
        Assert.Equal("Helm", labels["app.kubernetes.io/managed-by"]!.GetValue<string>());
        Assert.False(Spec(result).ContainsKey("rayVersion"));

        var head = Spec(result)["headGroupSpec"]!;
        Assert.Equal("ClusterIP", head["serviceType"]!.GetValue<string>());
        Assert.Empty(head["rayStartParams"]!.AsObject());
        var headContainer = Container(head);
        Assert.Equal("ray-head", headContainer["name"]!.GetValue<string>());
        Assert.Equal("rayproject/ray:2.46.0", headContainer["image"]!.GetValue<string>());
        Assert.Equal("IfNotPresent", headContainer["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal("2G", headContainer["resources"]!["limits"]!["memory"]!.GetValue<string>());
        Assert.Equal("/tmp/ray", headContainer["volumeMounts"]![0]!["mountPath"]!.GetValue<string>());
        Assert.Equal("log-volume", head["template"]!["spec"]!["volumes"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("raycluster", head["template"]!["metadata"]!["labels"]!["app.kubernetes.io/instance"]!.GetValue<string>());

        var group = Assert.Single(Groups(result))!;
        Assert.Equal("workergroup", group["groupName"]!.GetValue<string>());
        Assert.Equal(1, group["replicas"]!.GetValue<long>());
        Assert.Equal(1, group["minReplicas"]!.GetValue<long>());
        Assert.Equal(3, group["maxReplicas"]!.GetValue<long>());
        Assert.Equal(1, group["numOfHosts"]!.GetValue<int>());
        Assert.Equal("ray-worker", Container(group)["name"]!.GetValue<string>());
    }

    [Fact]
    public void The_seeds_values_file_renders_its_NPU_workers()
    {
        var result = RenderFile("seed-values.yaml", "ray-cluster");

        Assert.Empty(result.Warnings);
        // The chart appends nameOverride "kuberay": the seed's `helm install ray-cluster` names the cluster ray-cluster-kuberay.
        Assert.Equal("ray-cluster-kuberay", result.Name);
        var head = Container(Spec(result)["headGroupSpec"]!);
        Assert.Equal("4", head["resources"]!["limits"]!["cpu"]!.GetValue<string>());
        Assert.Equal("8Gi", head["resources"]!["requests"]!["memory"]!.GetValue<string>());

        var group = Assert.Single(Groups(result))!;
        Assert.Equal(2, group["replicas"]!.GetValue<long>());
        Assert.Equal(1, group["minReplicas"]!.GetValue<long>());
        Assert.Equal(3, group["maxReplicas"]!.GetValue<long>());
        var resources = Container(group)["resources"]!;
        foreach (var kind in new[] { "limits", "requests" })
        {
            Assert.Equal("12", resources[kind]!["cpu"]!.GetValue<string>());
            Assert.Equal("40Gi", resources[kind]!["memory"]!.GetValue<string>());
            Assert.Equal("1", resources[kind]!["huawei.com/Ascend910B"]!.GetValue<string>());
            Assert.Equal("16384", resources[kind]!["huawei.com/Ascend910B-memory"]!.GetValue<string>());
        }
        // The chart renders what the values say: no Ray resources are invented for the NPUs.
        Assert.Empty(group["rayStartParams"]!.AsObject());
    }

    [Fact]
    public void A_name_override_gives_the_name_the_seeds_kubectl_commands_expect()
    {
        var result = RenderFile("seed-values.yaml", "ray-cluster", "ray-cluster");
        Assert.Equal("ray-cluster", result.Name);
        Assert.Equal("ray-cluster", result.Cluster["metadata"]!["labels"]!["app.kubernetes.io/instance"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("ray-cluster", "", "", "ray-cluster-kuberay")]
    [InlineData("kuberay", "", "", "kuberay")]
    [InlineData("my-kuberay-test", "", "", "my-kuberay-test")]
    [InlineData("ray-cluster", "\"\"", "", "ray-cluster")]
    [InlineData("prod", "\"\"", "", "prod-ray-cluster")]
    [InlineData("prod", "npu", "", "prod-npu")]
    [InlineData("prod", "", "my-ray", "my-ray")]
    public void Names_follow_the_charts_fullname_helper(string release, string nameOverride, string fullnameOverride, string expected)
    {
        var yaml = (nameOverride.Length > 0 ? $"nameOverride: {nameOverride}\n" : "") + (fullnameOverride.Length > 0 ? $"fullnameOverride: {fullnameOverride}\n" : "");
        Assert.Equal(expected, Render(yaml, release).Name);
    }

    [Fact]
    public void Long_names_are_cut_at_63_without_a_trailing_dash()
    {
        var values = new JsonObject { ["fullnameOverride"] = new string('a', 62) + "-b" };
        Assert.Equal(new string('a', 62), HelmValuesRenderer.FullName("r", values));
    }

    [Fact]
    public void Additional_groups_render_in_key_order_before_worker_and_disabled_ones_are_skipped()
    {
        var result = Render("""
            additionalWorkerGroups:
              zeta:
                replicas: 1
              alpha:
                disabled: false
                replicas: 2
                maxReplicas: 4
                numOfHosts: 2
                resources: {limits: {cpu: 2}, requests: {cpu: 2}}
              gone:
                disabled: true
            """);

        var names = Groups(result).Select(g => g!["groupName"]!.GetValue<string>()).ToList();
        Assert.Equal(new[] { "alpha", "zeta", "workergroup" }, names);
        var alpha = Groups(result)[0]!;
        Assert.Equal(0, alpha["minReplicas"]!.GetValue<int>());
        Assert.Equal(4, alpha["maxReplicas"]!.GetValue<long>());
        Assert.Equal(2, alpha["numOfHosts"]!.GetValue<long>());
        var zeta = Groups(result)[1]!;
        Assert.Equal(int.MaxValue, zeta["maxReplicas"]!.GetValue<int>());
        Assert.False(Container(zeta).ContainsKey("resources"));
    }

    [Fact]
    public void The_worker_group_can_be_disabled()
    {
        var result = Render("worker:\n  disabled: true\n");
        Assert.Empty(Groups(result));
    }

    [Fact]
    public void Common_env_comes_first_then_the_groups_own()
    {
        var result = Render("""
            common:
              containerEnv:
                - name: A
                  value: "1"
            head:
              containerEnv:
                - name: H
                  value: head
            worker:
              containerEnv:
                - name: W
                  value: worker
            """);

        var headEnv = Container(Spec(result)["headGroupSpec"]!)["env"]!.AsArray().Select(e => e!["name"]!.GetValue<string>());
        var workerEnv = Container(Groups(result)[0]!)["env"]!.AsArray().Select(e => e!["name"]!.GetValue<string>());
        Assert.Equal(new[] { "A", "H" }, headEnv);
        Assert.Equal(new[] { "A", "W" }, workerEnv);
    }

    [Fact]
    public void RayStartParams_are_quoted_like_the_chart_does()
    {
        var result = Render("""
            head:
              rayStartParams:
                num-cpus: 0
                dashboard-host: 0.0.0.0
                block: true
            worker:
              rayStartParams:
                resources: '"{\"NPU\": 1}"'
                memory: 20000000000
              initArgs:
                object-store-memory: 1000
            """);

        var head = Spec(result)["headGroupSpec"]!["rayStartParams"]!;
        Assert.Equal("0", head["num-cpus"]!.GetValue<string>());
        Assert.Equal("0.0.0.0", head["dashboard-host"]!.GetValue<string>());
        Assert.Equal("true", head["block"]!.GetValue<string>());
        var worker = Groups(result)[0]!["rayStartParams"]!;
        Assert.Equal("\"{\\\"NPU\\\": 1}\"", worker["resources"]!.GetValue<string>());
        Assert.Equal("1000", worker["object-store-memory"]!.GetValue<string>());
        // Helm prints numbers with Go's %v of a float64: 20000000000 becomes 2e+10. The renderer says so.
        Assert.Equal("2e+10", worker["memory"]!.GetValue<string>());
        Assert.Contains(result.Warnings, w => w.Contains("'worker.rayStartParams.memory'", StringComparison.Ordinal) && w.Contains("2e+10", StringComparison.Ordinal));
    }

    [Fact]
    public void Pod_settings_pass_through_and_null_removes_a_default()
    {
        var result = Render("""
            image:
              tag: 2.48.0.py311-npu
            service:
              type: NodePort
            annotations:
              owner: ops
            head:
              rayVersion: 2.48.0
              enableInTreeAutoscaling: true
              autoscalerOptions:
                idleTimeoutSeconds: 60
              volumes: null
              volumeMounts: null
              labels:
                tier: head
            worker:
              nodeSelector:
                accelerator: ascend
              tolerations:
                - key: huawei.com/Ascend910B
                  operator: Exists
                  effect: NoSchedule
              affinity:
                nodeAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    nodeSelectorTerms:
                      - matchExpressions:
                          - key: pool
                            operator: In
                            values: [npu]
              volumes:
                - name: ascend-driver
                  hostPath:
                    path: /usr/local/Ascend/driver
              volumeMounts:
                - name: ascend-driver
                  mountPath: /usr/local/Ascend/driver
            """);

        Assert.Equal("ops", result.Cluster["metadata"]!["annotations"]!["owner"]!.GetValue<string>());
        Assert.Equal("2.48.0", Spec(result)["rayVersion"]!.GetValue<string>());
        Assert.True(Spec(result)["enableInTreeAutoscaling"]!.GetValue<bool>());
        Assert.Equal(60, Spec(result)["autoscalerOptions"]!["idleTimeoutSeconds"]!.GetValue<long>());
        var head = Spec(result)["headGroupSpec"]!;
        Assert.Equal("NodePort", head["serviceType"]!.GetValue<string>());
        Assert.False(head["template"]!["spec"]!.AsObject().ContainsKey("volumes"));
        Assert.False(Container(head).ContainsKey("volumeMounts"));
        Assert.Equal("head", head["template"]!["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal("rayproject/ray:2.48.0.py311-npu", Container(head)["image"]!.GetValue<string>());

        var worker = Groups(result)[0]!;
        var pod = worker["template"]!["spec"]!;
        Assert.Equal("ascend", pod["nodeSelector"]!["accelerator"]!.GetValue<string>());
        Assert.Equal("Exists", pod["tolerations"]![0]!["operator"]!.GetValue<string>());
        Assert.NotNull(pod["affinity"]!["nodeAffinity"]);
        Assert.Equal("ascend-driver", pod["volumes"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("/usr/local/Ascend/driver", Container(worker)["volumeMounts"]![0]!["mountPath"]!.GetValue<string>());
    }

    [Fact]
    public void Unknown_keys_are_warnings_naming_their_path()
    {
        var result = Render("""
            workers:
              replicas: 2
            head:
              cpu: 4
            worker:
              replica: 3
              image:
                registry: x
            additionalWorkerGroups:
              gpu:
                groupName: other
                replicas: 1
            """);

        Assert.Contains(result.Warnings, w => w.Contains("unknown key 'workers'", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("unknown key 'head.cpu'", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("unknown key 'worker.replica'", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("unknown key 'worker.image.registry'", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("'additionalWorkerGroups.gpu.groupName' is ignored", StringComparison.Ordinal));
        Assert.Equal("gpu", Groups(result)[0]!["groupName"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("head: 4\n", "'head' must be a mapping")]
    [InlineData("worker:\n  rayStartParams: [a]\n", "'worker.rayStartParams' must be a mapping")]
    [InlineData("worker:\n  disabled: \"yes\"\n", "'worker.disabled' must be true or false")]
    [InlineData("- a\n- b\n", "must be a mapping of keys")]
    public void Values_the_chart_cannot_render_are_InvalidHelmValues(string yaml, string expected)
    {
        var ex = Assert.Throws<RayPSException>(() => Render(yaml));
        Assert.Equal(ErrorIds.InvalidHelmValues, ex.ErrorId);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_errors_carry_line_and_column()
    {
        var ex = Assert.Throws<RayPSException>(() => Render("head:\n  resources:\n    limits: {cpu: 1\n"));
        Assert.Equal(ErrorIds.InvalidYaml, ex.ErrorId);
        Assert.Matches(@"^values\.yaml: line \d+, column \d+: ", ex.Message);
    }

    [Fact]
    public void Release_names_follow_helms_rule()
    {
        Assert.Equal(ErrorIds.InvalidClusterName, Assert.Throws<RayPSException>(() => Render("", release: "Ray_Cluster")).ErrorId);
        Assert.Equal(ErrorIds.InvalidClusterName, Assert.Throws<RayPSException>(() => Render("", release: new string('a', 54))).ErrorId);
    }
}
