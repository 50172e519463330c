namespace RayPS.Sandbox.Tests.Infrastructure;

/// <summary>The objects the recorded scenarios work with (RayCluster, worker Deployment, head Pod and Service).</summary>
public static class Manifests
{
    private const string RayClusterJson = """
        {"apiVersion":"ray.io/v1","kind":"RayCluster",
         "metadata":{"name":"ray-cluster","namespace":"default","labels":{"app.kubernetes.io/managed-by":"rayps","env":"test"}},
         "spec":{"rayVersion":"2.46.0",
          "headGroupSpec":{"rayStartParams":{"dashboard-host":"0.0.0.0"},"template":{"spec":{"containers":[
            {"name":"ray-head","image":"rayproject/ray:2.46.0",
             "ports":[{"containerPort":6379,"name":"gcs-server"},{"containerPort":8265,"name":"dashboard"},{"containerPort":10001,"name":"client"},{"containerPort":8080,"name":"metrics"}],
             "resources":{"requests":{"cpu":4,"memory":"8Gi"},"limits":{"cpu":4,"memory":"8Gi"}}}]}}},
          "workerGroupSpecs":[{"groupName":"workergroup","replicas":2,"rayStartParams":{"resources":"'{\"ascend\":20}'"},
            "template":{"spec":{"containers":[{"name":"ray-worker","image":"rayproject/ray:2.46.0",
              "resources":{"requests":{"cpu":12,"memory":"40Gi","huawei.com/Ascend910B":"1","huawei.com/Ascend910B-memory":"16384"},
                           "limits":{"cpu":12,"memory":"40Gi","huawei.com/Ascend910B":"1","huawei.com/Ascend910B-memory":"16384"}}}]}}}]}}
        """;

    /// <summary>The seed's worker Deployment (§3 of ray-on-kubernetes.md) in namespace default, as the recording created it.</summary>
    public const string WorkerDeploymentYaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: ray-cluster-npu-workergroup
          namespace: default
          labels:
            ray.io/cluster: ray-cluster
            ray.io/group: workergroup
            ray.io/identifier: ray-cluster-npu-worker
            ray.io/node-type: worker
        spec:
          replicas: 2
          selector:
            matchLabels:
              ray.io/cluster: ray-cluster
              ray.io/group: workergroup
              ray.io/identifier: ray-cluster-npu-worker
              ray.io/node-type: worker
          template:
            metadata:
              labels:
                ray.io/cluster: ray-cluster
                ray.io/group: workergroup
                ray.io/identifier: ray-cluster-npu-worker
                ray.io/node-type: worker
            spec:
              containers:
              - name: ray-worker
                image: rayproject/ray:2.46.0
                command: ["bash", "-c"]
                args:
                - >-
                  ulimit -n 65536; ray start --address=ray-cluster-head-svc.default.svc.cluster.local:6379
                  --block --dashboard-agent-listen-port=52365 --memory=20000000000 --metrics-export-port=8080
                  --num-cpus=12 --resources='{"ascend":20}'
                resources:
                  requests:
                    cpu: "12"
                    memory: 40Gi
                    huawei.com/Ascend910B: "1"
                    huawei.com/Ascend910B-memory: "16384"
                  limits:
                    cpu: "12"
                    memory: 40Gi
                    huawei.com/Ascend910B: "1"
                    huawei.com/Ascend910B-memory: "16384"
                livenessProbe:
                  exec:
                    command:
                    - bash
                    - -c
                    - wget -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep success
                  initialDelaySeconds: 30
                  periodSeconds: 5
                  failureThreshold: 120
        """;

    private const string HeadPodJson = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"ray-cluster-head-abc","namespace":"default","labels":{"ray.io/cluster":"ray-cluster","ray.io/node-type":"head"}},
         "spec":{"containers":[{"name":"ray-head","image":"rayproject/ray:2.46.0","command":["bash","-c"],
           "args":["ulimit -n 65536; ray start --head --block --dashboard-host=0.0.0.0 --dashboard-agent-listen-port=52365 --metrics-export-port=8080 --num-cpus=0"],
           "ports":[{"containerPort":6379,"name":"gcs-server"},{"containerPort":8265,"name":"dashboard"},{"containerPort":10001,"name":"client"},{"containerPort":8080,"name":"metrics"},{"containerPort":52365,"name":"dashboard-agent"}],
           "resources":{"requests":{"cpu":4,"memory":"8Gi"},"limits":{"cpu":4,"memory":"8Gi"}}}]}}
        """;

    private const string HeadServiceJson = """
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"ray-cluster-head-svc","namespace":"default","labels":{"ray.io/cluster":"ray-cluster","ray.io/node-type":"head"}},
         "spec":{"clusterIP":"None","selector":{"ray.io/cluster":"ray-cluster","ray.io/node-type":"head"},
           "ports":[{"name":"gcs-server","port":6379},{"name":"dashboard","port":8265},{"name":"client","port":10001},{"name":"metrics","port":8080}]}}
        """;

    /// <summary>The recorded RayCluster with another name/namespace/labels/worker count.</summary>
    public static JsonObject RayCluster(string name = "ray-cluster", string ns = "default", JsonObject? labels = null, long workers = 2)
    {
        var obj = (JsonObject)JsonText.Parse(RayClusterJson)!;
        var meta = (JsonObject)obj["metadata"]!;
        meta["name"] = name;
        meta["namespace"] = ns;
        if (labels is not null)
        {
            meta["labels"] = labels;
        }
        obj["spec"]!["workerGroupSpecs"]![0]!["replicas"] = workers;
        return obj;
    }

    public static JsonObject WorkerDeployment() => (JsonObject)YamlConverter.Parse(WorkerDeploymentYaml)!;

    public static JsonObject HeadPod() => (JsonObject)JsonText.Parse(HeadPodJson)!;

    public static JsonObject HeadService() => (JsonObject)JsonText.Parse(HeadServiceJson)!;
}
