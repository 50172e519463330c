using RayPS.Sandbox.Cluster;

namespace RayPS.Sandbox.Tests.Cluster;

public class KubeRayBuilderTests
{
    [Fact]
    public void HeadPodHasKubeRayNamesLabelsOwnerAndStartCommand()
    {
        var cluster = new RayClusterSpec(TestClusters.Sample());
        var pod = KubeRayBuilder.BuildHeadPod(cluster);

        Assert.Equal("raycluster-kuberay-head-", JsonNodes.StringAt(pod, "metadata", "generateName"));
        Assert.Equal("default", JsonNodes.StringAt(pod, "metadata", "namespace"));
        var labels = (JsonObject)pod["metadata"]!["labels"]!;
        Assert.Equal("yes", JsonNodes.GetString(labels["ray.io/is-ray-node"]));
        Assert.Equal("raycluster-kuberay", JsonNodes.GetString(labels["ray.io/cluster"]));
        Assert.Equal("head", JsonNodes.GetString(labels["ray.io/node-type"]));
        Assert.Equal("headgroup", JsonNodes.GetString(labels["ray.io/group"]));
        Assert.Equal("raycluster-kuberay-head", JsonNodes.GetString(labels["ray.io/identifier"]));
        Assert.Equal("kuberay", JsonNodes.GetString(labels["app.kubernetes.io/name"]));
        Assert.Equal("kuberay-operator", JsonNodes.GetString(labels["app.kubernetes.io/created-by"]));

        var owner = (JsonObject)((JsonArray)pod["metadata"]!["ownerReferences"]!)[0]!;
        Assert.Equal("RayCluster", JsonNodes.GetString(owner["kind"]));
        Assert.Equal("ray.io/v1", JsonNodes.GetString(owner["apiVersion"]));
        Assert.Equal("11111111-2222-3333-4444-555555555555", JsonNodes.GetString(owner["uid"]));
        Assert.True(JsonNodes.GetBool(owner["controller"]));

        var ray = TestClusters.Container(pod);
        Assert.Equal(["/bin/bash", "-c", "--"], ((JsonArray)ray["command"]!).Select(n => JsonNodes.GetString(n)));
        Assert.Equal(
            "ulimit -n 65536; ray start --head  --block  --dashboard-agent-listen-port=52365  --dashboard-host=0.0.0.0  --memory=2000000000  "
            + "--metrics-export-port=8080  --num-cpus=1 ",
            TestClusters.Arg(ray));
        Assert.Equal("127.0.0.1:6379", TestClusters.Env(ray, "RAY_ADDRESS"));
        Assert.Equal("metadata.labels['ray.io/cluster']", TestClusters.Env(ray, "RAY_CLUSTER_NAME"));
        Assert.Equal("metadata.labels['ray.io/group']", TestClusters.Env(ray, "RAY_NODE_TYPE_NAME"));
        Assert.StartsWith("ray start --head", TestClusters.Env(ray, "KUBERAY_GEN_RAY_START_CMD"));
        Assert.Equal("6379", TestClusters.Env(ray, "RAY_PORT"));

        // The metrics port is added; user ports are kept in order.
        var ports = ((JsonArray)ray["ports"]!).Select(p => JsonNodes.GetString(p!["name"])).ToList();
        Assert.Equal(["gcs-server", "dashboard", "client", "metrics"], ports);

        var liveness = (JsonObject)ray["livenessProbe"]!;
        Assert.Equal(
            "wget --tries 1 -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep success && "
            + "wget --tries 1 -T 10 -q -O- http://localhost:8265/api/gcs_healthz | grep success",
            JsonNodes.GetString(((JsonArray)liveness["exec"]!["command"]!)[2]));
        Assert.Equal(5, JsonNodes.GetInteger(liveness["timeoutSeconds"]));
        Assert.Equal(5, JsonNodes.GetInteger(ray["readinessProbe"]!["timeoutSeconds"]));
        Assert.Equal("false", JsonNodes.StringAt(pod, "metadata", "annotations", "ray.io/ft-enabled"));
        // /dev/shm is an in-memory emptyDir as large as the Ray container's memory limit.
        Assert.Equal("/dev/shm", JsonNodes.GetString(ray["volumeMounts"]![0]!["mountPath"]));
        var shm = ((JsonArray)pod["spec"]!["volumes"]!).OfType<JsonObject>().Single(v => JsonNodes.GetString(v["name"]) == "shared-mem");
        Assert.Equal("Memory", JsonNodes.StringAt(shm, "emptyDir", "medium"));
        Assert.Equal("2G", JsonNodes.StringAt(shm, "emptyDir", "sizeLimit"));
        Assert.Equal(
            ["RAY_CLUSTER_NAME", "RAY_CLOUD_INSTANCE_ID", "RAY_NODE_TYPE_NAME", "KUBERAY_GEN_RAY_START_CMD", "RAY_PORT", "RAY_ADDRESS",
                "RAY_USAGE_STATS_KUBERAY_IN_USE", "RAY_USAGE_STATS_EXTRA_TAGS", "RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE"],
            ((JsonArray)ray["env"]!).Select(e => JsonNodes.GetString(e!["name"])));
        Assert.Equal(120, JsonNodes.GetInteger(liveness["failureThreshold"]));
        Assert.Equal(30, JsonNodes.GetInteger(liveness["initialDelaySeconds"]));
        Assert.Equal(10, JsonNodes.GetInteger(ray["readinessProbe"]!["failureThreshold"]));
        Assert.Null(pod["spec"]!["initContainers"]);
    }

    [Fact]
    public void WorkerPodJoinsTheHeadServiceAndWaitsForGcs()
    {
        var raw = TestClusters.Sample();
        var cluster = new RayClusterSpec(raw);
        var pod = KubeRayBuilder.BuildWorkerPod(cluster, cluster.Groups[0]);

        Assert.Equal("raycluster-kuberay-workergroup-worker-", JsonNodes.StringAt(pod, "metadata", "generateName"));
        Assert.Equal("worker", JsonNodes.StringAt(pod, "metadata", "labels", "ray.io/node-type"));
        Assert.Equal("workergroup", JsonNodes.StringAt(pod, "metadata", "labels", "ray.io/group"));
        Assert.Equal("raycluster-kuberay-worker", JsonNodes.StringAt(pod, "metadata", "labels", "ray.io/identifier"));
        var ray = TestClusters.Container(pod);
        Assert.Equal(
            "ulimit -n 65536; ray start  --address=raycluster-kuberay-head-svc.default.svc.cluster.local:6379  --block  "
            + "--dashboard-agent-listen-port=52365  --memory=1000000000  --metrics-export-port=8080  --num-cpus=1 ",
            TestClusters.Arg(ray));
        Assert.Equal("raycluster-kuberay-head-svc.default.svc.cluster.local", TestClusters.Env(ray, "FQ_RAY_IP"));
        Assert.Equal("raycluster-kuberay-head-svc", TestClusters.Env(ray, "RAY_IP"));
        Assert.Equal("raycluster-kuberay-head-svc.default.svc.cluster.local:6379", TestClusters.Env(ray, "RAY_ADDRESS"));
        Assert.Equal(
            ["FQ_RAY_IP", "RAY_IP", "RAY_CLUSTER_NAME", "RAY_CLOUD_INSTANCE_ID", "RAY_NODE_TYPE_NAME", "KUBERAY_GEN_RAY_START_CMD", "RAY_PORT",
                "RAY_ADDRESS", "RAY_USAGE_STATS_KUBERAY_IN_USE", "RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE"],
            ((JsonArray)ray["env"]!).Select(e => JsonNodes.GetString(e!["name"])));
        Assert.Equal("wget --tries 1 -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep success",
            JsonNodes.GetString(((JsonArray)ray["livenessProbe"]!["exec"]!["command"]!)[2]));
        Assert.Equal(2, JsonNodes.GetInteger(ray["livenessProbe"]!["timeoutSeconds"]));
        Assert.Null(JsonNodes.At(pod, "metadata", "annotations"));

        var init = (JsonObject)((JsonArray)pod["spec"]!["initContainers"]!)[0]!;
        Assert.Equal("wait-gcs-ready", JsonNodes.GetString(init["name"]));
        Assert.Equal("rayproject/ray:2.46.0", JsonNodes.GetString(init["image"]));
        Assert.Contains("ray health-check --address raycluster-kuberay-head-svc.default.svc.cluster.local:6379", TestClusters.Arg(init));
        Assert.Equal("raycluster-kuberay-head-svc.default.svc.cluster.local:6379", KubeletPod.GcsAddress(init));
        Assert.Equal("200m", JsonNodes.StringAt(init, "resources", "limits", "cpu"));

        // The template in the RayCluster is not modified.
        Assert.Null(TestClusters.Group(raw)["template"]!["spec"]!["containers"]![0]!["args"]);
    }

    [Fact]
    public void RayStartParamsPassThroughAndGpusComeFromLimits()
    {
        var cluster = new RayClusterSpec(TestClusters.Npu());
        var head = TestClusters.Container(KubeRayBuilder.BuildHeadPod(cluster));
        Assert.Contains(" --num-cpus=0 ", TestClusters.Arg(head));
        Assert.Contains(" --memory=8589934592 ", TestClusters.Arg(head));

        var worker = TestClusters.Container(KubeRayBuilder.BuildWorkerPod(cluster, cluster.Groups[0]));
        var args = TestClusters.Arg(worker);
        Assert.Contains(" --resources='{\"NPU\":1}' ", args);
        Assert.Contains(" --num-gpus=2 ", args);
        Assert.Contains(" --num-cpus=12 ", args);
        Assert.Contains(" --memory=42949672960 ", args);
        Assert.Contains(" --address=ray-cluster-head-svc.kube-system.svc.cluster.local:6379 ", args);

        var parsed = RayStartCommand.Parse(RayStartCommand.ContainerCommandLine(worker))!;
        Assert.Equal("{\"NPU\":1}", parsed.Get("resources"));
        Assert.Equal(1.0, RayStartCommand.ParseResourcesJson(parsed.Get("resources"))!["NPU"]);
    }

    [Fact]
    public void TpuLimitsBecomeATpuResource()
    {
        var raw = TestClusters.Sample();
        var limits = (JsonObject)TestClusters.Group(raw)["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!;
        limits["google.com/tpu"] = "4";
        var cluster = new RayClusterSpec(raw);
        var args = TestClusters.Arg(TestClusters.Container(KubeRayBuilder.BuildWorkerPod(cluster, cluster.Groups[0])));
        Assert.Contains(" --resources='{\"TPU\":4}' ", args);
    }

    [Fact]
    public void HeadServiceIsHeadlessWithTheHeadPortsAndLabels()
    {
        var cluster = new RayClusterSpec(TestClusters.Sample());
        var svc = KubeRayBuilder.BuildHeadService(cluster);
        Assert.Equal("raycluster-kuberay-head-svc", JsonNodes.StringAt(svc, "metadata", "name"));
        Assert.Equal("None", JsonNodes.StringAt(svc, "spec", "clusterIP"));
        Assert.Equal("ClusterIP", JsonNodes.StringAt(svc, "spec", "type"));
        var ports = ((JsonArray)svc["spec"]!["ports"]!).OfType<JsonObject>().Select(p => (JsonNodes.GetString(p["name"]), JsonNodes.GetInteger(p["port"]))).ToList();
        // Sorted by name, as KubeRay builds them from a map.
        Assert.Equal([("client", 10001L), ("dashboard", 8265L), ("gcs-server", 6379L), ("metrics", 8080L)], ports);
        Assert.Equal(
            ["app.kubernetes.io/created-by=kuberay-operator", "app.kubernetes.io/name=kuberay", "ray.io/cluster=raycluster-kuberay",
                "ray.io/identifier=raycluster-kuberay-head", "ray.io/node-type=head"],
            ((JsonObject)svc["spec"]!["selector"]!).Select(kv => kv.Key + "=" + JsonNodes.GetString(kv.Value)).Order(StringComparer.Ordinal));
        Assert.True(JsonNodes.GetBool(svc["spec"]!["publishNotReadyAddresses"]));
        Assert.Equal("raycluster-kuberay-head", JsonNodes.StringAt(svc, "metadata", "labels", "ray.io/identifier"));
        Assert.Equal("kuberay-operator", JsonNodes.StringAt(svc, "metadata", "labels", "app.kubernetes.io/created-by"));
    }

    [Fact]
    public void DefaultServicePortsWhenTheHeadNamesNone()
    {
        var cluster = new RayClusterSpec(TestClusters.Npu());
        var names = ((JsonArray)KubeRayBuilder.BuildHeadService(cluster)["spec"]!["ports"]!).Select(p => JsonNodes.GetString(p!["name"])).ToList();
        Assert.Equal(["client", "dashboard", "gcs-server", "metrics"], names);
    }

    [Fact]
    public void LongNamesAreShortenedLikeKubeRay()
    {
        Assert.Equal(50, KubeNames.CheckName(new string('a', 60) + "-head-").Length);
        Assert.Equal("rbc", KubeNames.CheckName("1bc"));
        Assert.Equal(63, KubeNames.CheckLabel(new string('b', 70)).Length);
    }

    [Fact]
    public void AutoscalingAddsTheSidecarAndNoMonitor()
    {
        var raw = TestClusters.Sample();
        raw["spec"]!["enableInTreeAutoscaling"] = true;
        var cluster = new RayClusterSpec(raw);
        var pod = KubeRayBuilder.BuildHeadPod(cluster);
        var containers = ((JsonArray)pod["spec"]!["containers"]!).OfType<JsonObject>().ToList();
        Assert.Equal(["ray-head", "autoscaler"], containers.Select(c => JsonNodes.GetString(c["name"])));
        Assert.Contains(" --no-monitor ", TestClusters.Arg(containers[0]));
        Assert.Equal("raycluster-kuberay", JsonNodes.StringAt(pod, "spec", "serviceAccountName"));
    }

    [Fact]
    public void UserCommandRunsBeforeRayStart()
    {
        var raw = TestClusters.Sample();
        var head = (JsonObject)raw["spec"]!["headGroupSpec"]!["template"]!["spec"]!["containers"]![0]!;
        head["command"] = new JsonArray("echo", "hello");
        var pod = KubeRayBuilder.BuildHeadPod(new RayClusterSpec(raw));
        Assert.StartsWith("echo hello && ulimit -n 65536; ray start --head", TestClusters.Arg(TestClusters.Container(pod)));
    }

    [Fact]
    public void OperatorDeploymentLooksLikeTheHelmChart()
    {
        var d = KubeRayBuilder.BuildOperatorDeployment();
        Assert.Equal("kuberay-operator", JsonNodes.StringAt(d, "metadata", "name"));
        Assert.Equal("kube-system", JsonNodes.StringAt(d, "metadata", "namespace"));
        Assert.Equal("kuberay-operator", JsonNodes.StringAt(d, "metadata", "labels", "app.kubernetes.io/name"));
        Assert.Equal("quay.io/kuberay/operator:v1.4.2", JsonNodes.GetString(d["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]));
    }
}
