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

    // values.yaml repeats one block of pod defaults in head, worker and every additional worker group; it is written
    // once below and added to each of them.
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
          resources: {limits: {cpu: "1", memory: "2G"}, requests: {cpu: "1", memory: "2G"}}
          headService: {}
        worker:
          groupName: workergroup
          replicas: 1
          minReplicas: 1
          maxReplicas: 3
          initContainers: []
          resources: {limits: {cpu: "1", memory: "1G"}, requests: {cpu: "1", memory: "1G"}}
        additionalWorkerGroups:
          smallGroup:
            disabled: true
            replicas: 0
            minReplicas: 0
            maxReplicas: 3
            resources: {limits: {cpu: 1, memory: "1G"}, requests: {cpu: 1, memory: "1G"}}
        service:
          type: ClusterIP
        """;

    private const string PodSectionYaml = """
        labels: {}
        serviceAccountName: ""
        restartPolicy: ""
        rayStartParams: {}
        containerEnv: []
        envFrom: []
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
        """;

    private static readonly Lazy<JsonObject> Parsed = new(ParseValues);

    private static JsonObject ParseValues()
    {
        var values = Parse(ValuesYaml);
        var podSection = Parse(PodSectionYaml);
        var sections = new[] { values["head"], values["worker"] }.Concat(values["additionalWorkerGroups"]!.AsObject().Select(g => g.Value));
        foreach (var section in sections.Cast<JsonObject>())
        {
            foreach (var (key, value) in podSection)
            {
                section[key] = value!.DeepClone();
            }
        }
        return values;
    }

    private static JsonObject Parse(string yaml) => (JsonObject)YamlJson.ParseDocuments(yaml, "ray-cluster chart values")[0]!;

    /// <summary>A fresh copy of the chart's default values.</summary>
    public static JsonObject Values() => (JsonObject)Parsed.Value.DeepClone();

    /// <summary>Keys of every pod section: head, worker and each additional worker group.</summary>
    private static readonly string[] PodSectionKeys =
    {
        "rayStartParams", "initArgs", "dnsConfig", "serviceAccountName", "restartPolicy", "initContainers", "volumeMounts",
        "image", "resources", "securityContext", "containerEnv", "envFrom", "ports", "lifecycle", "command", "args",
        "sidecarContainers", "volumes", "topologySpreadConstraints", "affinity", "priorityClassName", "priority",
        "tolerations", "nodeSelector", "podSecurityContext", "annotations", "labels",
    };

    /// <summary>Keys a head section may have (values.yaml and the keys the chart's template reads).</summary>
    public static readonly IReadOnlySet<string> HeadKeys = new HashSet<string>(
        PodSectionKeys.Concat(new[] { "rayVersion", "enableInTreeAutoscaling", "autoscalerOptions", "headService" }), StringComparer.Ordinal);

    /// <summary>Keys a worker or additional worker group section may have.</summary>
    public static readonly IReadOnlySet<string> GroupKeys = new HashSet<string>(
        PodSectionKeys.Concat(new[] { "disabled", "groupName", "replicas", "minReplicas", "maxReplicas", "numOfHosts" }), StringComparer.Ordinal);

    public static readonly IReadOnlySet<string> TopKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "image", "nameOverride", "fullnameOverride", "imagePullSecrets", "annotations", "common", "head", "worker",
        "additionalWorkerGroups", "service",
    };

    public static readonly IReadOnlySet<string> ImageKeys = new HashSet<string>(StringComparer.Ordinal) { "repository", "tag", "pullPolicy" };

    public static readonly IReadOnlySet<string> CommonKeys = new HashSet<string>(StringComparer.Ordinal) { "containerEnv" };

    public static readonly IReadOnlySet<string> ServiceKeys = new HashSet<string>(StringComparer.Ordinal) { "type" };
}
