namespace RayPS.Sandbox.Tests.Cluster;

/// <summary>RayCluster manifests used across the cluster-simulation tests.</summary>
internal static class TestClusters
{
    /// <summary>KubeRay's ray-cluster.sample.yaml (v1.4.2), as stored (uid, generation, defaults).</summary>
    public const string SampleYaml = """
        apiVersion: ray.io/v1
        kind: RayCluster
        metadata:
          name: raycluster-kuberay
          namespace: default
          uid: 11111111-2222-3333-4444-555555555555
          generation: 1
        spec:
          rayVersion: '2.46.0'
          headGroupSpec:
            rayStartParams: {}
            template:
              spec:
                containers:
                - name: ray-head
                  image: rayproject/ray:2.46.0
                  resources:
                    limits:
                      cpu: 1
                      memory: 2G
                    requests:
                      cpu: 1
                      memory: 2G
                  ports:
                  - containerPort: 6379
                    name: gcs-server
                  - containerPort: 8265
                    name: dashboard
                  - containerPort: 10001
                    name: client
          workerGroupSpecs:
          - replicas: 1
            minReplicas: 1
            maxReplicas: 5
            numOfHosts: 1
            groupName: workergroup
            rayStartParams: {}
            template:
              spec:
                containers:
                - name: ray-worker
                  image: rayproject/ray:2.46.0
                  resources:
                    limits:
                      cpu: 1
                      memory: 1G
                    requests:
                      cpu: 1
                      memory: 1G
        """;

    /// <summary>The seed's Helm values rendered: a 4-CPU/8Gi head and two NPU workers with explicit Ray resources.</summary>
    public const string NpuYaml = """
        apiVersion: ray.io/v1
        kind: RayCluster
        metadata:
          name: ray-cluster
          namespace: kube-system
          uid: aaaaaaaa-2222-3333-4444-555555555555
          generation: 1
        spec:
          rayVersion: '2.48.0'
          headGroupSpec:
            rayStartParams:
              num-cpus: "0"
            template:
              spec:
                containers:
                - name: ray-head
                  image: rayproject/ray:2.48.0
                  resources:
                    requests: {cpu: "4", memory: 8Gi}
                    limits: {cpu: "4", memory: 8Gi}
          workerGroupSpecs:
          - groupName: workergroup
            replicas: 2
            minReplicas: 0
            maxReplicas: 3
            numOfHosts: 1
            rayStartParams:
              resources: '''{"NPU":1}'''
            template:
              spec:
                containers:
                - name: ray-worker
                  image: rayproject/ray:2.48.0
                  resources:
                    requests: {cpu: "12", memory: 40Gi, huawei.com/Ascend910B: "1"}
                    limits: {cpu: "12", memory: 40Gi, huawei.com/Ascend910B: "1", nvidia.com/gpu: "2"}
        """;

    public static JsonObject Sample() => (JsonObject)YamlConverter.Parse(SampleYaml)!;

    public static JsonObject Npu() => (JsonObject)YamlConverter.Parse(NpuYaml)!;

    public static JsonObject Group(JsonObject cluster, int index = 0) => (JsonObject)((JsonArray)cluster["spec"]!["workerGroupSpecs"]!)[index]!;

    /// <summary>A pod as the API server stores it after the operator created it (name, uid, status).</summary>
    public static JsonObject Stored(JsonObject pod, string name, string phase = "Pending", bool ready = false, string? ip = null, DateTimeOffset? created = null)
    {
        var p = (JsonObject)pod.DeepClone();
        var meta = (JsonObject)p["metadata"]!;
        meta["name"] = name;
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = (created ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        var status = new JsonObject { ["phase"] = phase };
        if (phase == "Running")
        {
            status["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" });
        }
        if (ip is not null)
        {
            status["podIP"] = ip;
        }
        p["status"] = status;
        return p;
    }

    public static string Arg(JsonObject container) => JsonNodes.GetString(((JsonArray)container["args"]!)[0])!;

    public static JsonObject Container(JsonObject pod, int index = 0) => (JsonObject)((JsonArray)pod["spec"]!["containers"]!)[index]!;

    public static string? Env(JsonObject container, string name) =>
        ((JsonArray)container["env"]!).OfType<JsonObject>().Where(e => JsonNodes.GetString(e["name"]) == name)
            .Select(e => JsonNodes.GetString(e["value"]) ?? JsonNodes.StringAt(e, "valueFrom", "fieldRef", "fieldPath")).FirstOrDefault();
}

/// <summary>A clock the tests move by hand.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}
