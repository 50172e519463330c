using System.Text.Json.Nodes;

namespace RayPS.Manifests;

/// <summary>
/// The default values of the KubeRay ray-cluster Helm chart 1.4.2 (its values.yaml without comments), which a user's
/// values file is merged over exactly as `helm install -f` does.
/// </summary>
internal static class HelmChartDefaults
{
    public const string ChartName = "ray-cluster";
    public const string ChartVersion = "1.4.2";

    private const string ValuesYaml = """
        image:
          repository: rayproject/ray
          tag: 2.46.0
          pullPolicy: IfNotPresent
        nameOverride: "kuberay"
        fullnameOverride: ""
        imagePullSecrets: []
        common:
          containerEnv: []
        head:
          initContainers: []
          labels: {}
          serviceAccountName: ""
          restartPolicy: ""
          rayStartParams: {}
          containerEnv: []
          envFrom: []
          resources:
            limits:
              cpu: "1"
              memory: "2G"
            requests:
              cpu: "1"
              memory: "2G"
          annotations: {}
          nodeSelector: {}
          tolerations: []
          affinity: {}
          podSecurityContext: {}
          securityContext: {}
          volumes:
            - name: log-volume
              emptyDir: {}
          volumeMounts:
            - mountPath: /tmp/ray
              name: log-volume
          sidecarContainers: []
          command: []
          args: []
          headService: {}
          topologySpreadConstraints: []
        worker:
          groupName: workergroup
          replicas: 1
          minReplicas: 1
          maxReplicas: 3
          labels: {}
          serviceAccountName: ""
          restartPolicy: ""
          rayStartParams: {}
          initContainers: []
          containerEnv: []
          envFrom: []
          resources:
            limits:
              cpu: "1"
              memory: "1G"
            requests:
              cpu: "1"
              memory: "1G"
          annotations: {}
          nodeSelector: {}
          tolerations: []
          affinity: {}
          podSecurityContext: {}
          securityContext: {}
          volumes:
            - name: log-volume
              emptyDir: {}
          volumeMounts:
            - mountPath: /tmp/ray
              name: log-volume
          sidecarContainers: []
          command: []
          args: []
          topologySpreadConstraints: []
        additionalWorkerGroups:
          smallGroup:
            disabled: true
            replicas: 0
            minReplicas: 0
            maxReplicas: 3
            labels: {}
            serviceAccountName: ""
            restartPolicy: ""
            rayStartParams: {}
            containerEnv: []
            envFrom: []
            resources:
              limits:
                cpu: 1
                memory: "1G"
              requests:
                cpu: 1
                memory: "1G"
            annotations: {}
            nodeSelector: {}
            tolerations: []
            affinity: {}
            podSecurityContext: {}
            securityContext: {}
            volumes:
              - name: log-volume
                emptyDir: {}
            volumeMounts:
              - mountPath: /tmp/ray
                name: log-volume
            sidecarContainers: []
            command: []
            args: []
            topologySpreadConstraints: []
        service:
          type: ClusterIP
        """;

    private static readonly Lazy<JsonObject> Parsed = new(() => (JsonObject)YamlJson.ParseDocuments(ValuesYaml, "ray-cluster chart values")[0]!);

    /// <summary>A fresh copy of the chart's default values.</summary>
    public static JsonObject Values() => (JsonObject)Parsed.Value.DeepClone();

    /// <summary>Keys a head section may have (values.yaml and the keys the chart's template reads).</summary>
    public static readonly IReadOnlySet<string> HeadKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "rayVersion", "enableInTreeAutoscaling", "autoscalerOptions", "headService", "rayStartParams", "initArgs", "dnsConfig",
        "serviceAccountName", "restartPolicy", "initContainers", "volumeMounts", "image", "resources", "securityContext",
        "containerEnv", "envFrom", "ports", "lifecycle", "command", "args", "sidecarContainers", "volumes",
        "topologySpreadConstraints", "affinity", "priorityClassName", "priority", "tolerations", "nodeSelector",
        "podSecurityContext", "annotations", "labels",
    };

    /// <summary>Keys a worker or additional worker group section may have.</summary>
    public static readonly IReadOnlySet<string> GroupKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "disabled", "groupName", "replicas", "minReplicas", "maxReplicas", "numOfHosts", "rayStartParams", "initArgs", "dnsConfig",
        "serviceAccountName", "restartPolicy", "initContainers", "volumeMounts", "image", "resources", "securityContext",
        "containerEnv", "envFrom", "ports", "lifecycle", "command", "args", "sidecarContainers", "volumes",
        "topologySpreadConstraints", "affinity", "priorityClassName", "priority", "tolerations", "nodeSelector",
        "podSecurityContext", "annotations", "labels",
    };

    public static readonly IReadOnlySet<string> TopKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "image", "nameOverride", "fullnameOverride", "imagePullSecrets", "annotations", "common", "head", "worker",
        "additionalWorkerGroups", "service",
    };

    public static readonly IReadOnlySet<string> ImageKeys = new HashSet<string>(StringComparer.Ordinal) { "repository", "tag", "pullPolicy" };

    public static readonly IReadOnlySet<string> CommonKeys = new HashSet<string>(StringComparer.Ordinal) { "containerEnv" };

    public static readonly IReadOnlySet<string> ServiceKeys = new HashSet<string>(StringComparer.Ordinal) { "type" };
}
