using System.Text.Json.Nodes;
using RayPS.Model;

namespace RayPS;

/// <summary>Where a worker group lives: an entry of a RayCluster's spec.workerGroupSpecs, or a plain Deployment.</summary>
// ConvertTo-Json writes the name, not the number (see docs/architecture.md, "Output objects").
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum WorkerGroupKind
{
    RayCluster,
    Deployment,
}

/// <summary>
/// One group of Ray worker pods, whichever object owns them: a RayCluster worker group (the KubeRay operator creates
/// its pods) or a Deployment labelled ray.io/cluster and ray.io/group (the seed's way to run workers Helm values
/// cannot describe). Both kinds have the same shape, so Set-RayWorkerReplicas and the table view treat them alike.
/// </summary>
public sealed class RayWorkerGroup
{
    public string ClusterName { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string GroupName { get; init; } = "";

    /// <summary>Same as GroupName (every RayPS object that has a name answers to Name).</summary>
    public string Name => GroupName;

    public WorkerGroupKind Kind { get; init; }

    /// <summary>spec.replicas of the group (RayCluster) or of the Deployment.</summary>
    public int Replicas { get; init; }

    /// <summary>Pods per replica (RayCluster numOfHosts, multi-host TPU slices); 1 for Deployments.</summary>
    public int NumOfHosts { get; init; } = 1;

    /// <summary>Worker pods the spec asks for (alias Desired): Replicas x NumOfHosts, 0 when the group is suspended.</summary>
    public int DesiredWorkers { get; init; }

    /// <summary>Worker pods that exist and are not terminating (Deployment: status.replicas).</summary>
    public int CurrentWorkers { get; init; }

    /// <summary>Pods that are running and pass their readiness checks (Deployment: status.readyReplicas).</summary>
    public int ReadyWorkers { get; init; }

    /// <summary>RayCluster groups: running pods, as KubeRay counts availableWorkerReplicas. Deployments: status.availableReplicas.</summary>
    public int AvailableWorkers { get; init; }

    /// <summary>minReplicas (RayCluster); 0 for Deployments, which have no bounds.</summary>
    public int MinReplicas { get; init; }

    /// <summary>maxReplicas (RayCluster; the CRD default is 2147483647); int.MaxValue for Deployments.</summary>
    public int MaxReplicas { get; init; } = int.MaxValue;

    /// <summary>CPU of one worker pod (the Ray container's limit, else its request).</summary>
    public string? Cpu { get; init; }

    /// <summary>Memory of one worker pod (limit, else request).</summary>
    public string? Memory { get; init; }

    /// <summary>GPUs of one worker pod (nvidia.com/gpu, amd.com/gpu, ...).</summary>
    public string? Gpu { get; init; }

    /// <summary>Other extended resources of one pod (huawei.com/Ascend910B, huawei.com/Ascend910B-memory, google.com/tpu, ...).</summary>
    public IReadOnlyDictionary<string, string> Accelerators { get; init; } = new Dictionary<string, string>();

    public string? Image { get; init; }

    /// <summary>Custom Ray resources each worker advertises (ray start --resources), e.g. ascend = 20.</summary>
    public IReadOnlyDictionary<string, decimal> RayResources { get; init; } = new Dictionary<string, decimal>();

    /// <summary>The RayCluster has the in-tree autoscaler on (spec.enableInTreeAutoscaling): it owns the replicas.</summary>
    public bool AutoscalingEnabled { get; init; }

    public bool Suspended { get; init; }

    /// <summary>The Deployment that runs the group (Kind Deployment only).</summary>
    public string? DeploymentName { get; init; }

    /// <summary>The group's position in spec.workerGroupSpecs (Kind RayCluster), else -1.</summary>
    public int Index { get; init; } = -1;

    /// <summary>Pods queued for removal (scaleStrategy.workersToDelete).</summary>
    public IReadOnlyList<string> WorkersToDelete { get; init; } = Array.Empty<string>();

    /// <summary>Names of the group's live worker pods.</summary>
    public IReadOnlyList<string> Pods { get; init; } = Array.Empty<string>();

    public IReadOnlyDictionary<string, string> RayStartParams { get; init; } = new Dictionary<string, string>();

    /// <summary>resourceVersion of the owning object (RayCluster or Deployment) when this was read or written.</summary>
    public string? ResourceVersion { get; init; }

    public string? Context { get; init; }

    /// <summary>Per-pod accelerator summary for the table view ("huawei.com/Ascend910B=1").</summary>
    public string AcceleratorText => string.Join(", ", Accelerators.Where(a => !a.Key.EndsWith("-memory", StringComparison.Ordinal)).Select(a => $"{a.Key}={a.Value}"));

    /// <summary>The group's spec (RayCluster entry) or the whole Deployment, as the API server returned it.</summary>
    internal JsonObject Raw { get; init; } = new();

    /// <summary>metadata.generation of the RayCluster this group was read from (RayCluster groups).</summary>
    internal long ClusterGeneration { get; init; }

    public string ToJson() => Raw.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    public override string ToString() => $"{Namespace}/{ClusterName}/{GroupName} ({Kind})";

    /// <summary>A worker group of a RayCluster; <paramref name="pods"/> are the cluster's pods (one LIST by ray.io/cluster).</summary>
    internal static RayWorkerGroup FromRayCluster(RayCluster cluster, int index, IReadOnlyList<RayPodFacts> pods)
    {
        var spec = cluster.Raw["spec"];
        var g = spec.Items("workerGroupSpecs").ElementAt(index);
        var name = g.Str("groupName") ?? "";
        var container = WorkerContainer(g.At("template.spec.containers"));
        var resources = ContainerResources(container);
        var mine = pods.Where(p => p.Group == name && !p.OwnedByReplicaSet && p.NodeType != KubeRayNames.HeadNodeType && !p.Terminating).ToList();
        var replicas = g.Int("replicas") ?? 0;
        var hosts = Math.Max(1, g.Int("numOfHosts") ?? 1);
        var suspended = g.Bool("suspend") ?? false;
        var rayResources = RayResourceText.ParseJsonMap(g.Str("rayStartParams.resources"));
        foreach (var (key, value) in g.Map("resources"))
        {
            if (decimal.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var amount))
            {
                rayResources[key] = amount;
            }
        }
        return new RayWorkerGroup
        {
            ClusterName = cluster.Name,
            Namespace = cluster.Namespace,
            GroupName = name,
            Kind = WorkerGroupKind.RayCluster,
            Replicas = replicas,
            NumOfHosts = hosts,
            DesiredWorkers = suspended ? 0 : replicas * hosts,
            CurrentWorkers = mine.Count,
            ReadyWorkers = mine.Count(p => p.Running && p.Ready),
            AvailableWorkers = mine.Count(p => p.Running),
            MinReplicas = g.Int("minReplicas") ?? 0,
            MaxReplicas = g.Int("maxReplicas") ?? int.MaxValue,
            Cpu = resources.Cpu,
            Memory = resources.Memory,
            Gpu = resources.Gpu,
            Accelerators = resources.Accelerators,
            Image = container.Str("image"),
            RayResources = rayResources,
            AutoscalingEnabled = spec.Bool("enableInTreeAutoscaling") ?? false,
            Suspended = suspended,
            Index = index,
            WorkersToDelete = g.Items("scaleStrategy.workersToDelete").Select(n => n.AsString()).OfType<string>().ToList(),
            Pods = mine.Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList(),
            RayStartParams = g.Map("rayStartParams"),
            ResourceVersion = cluster.ResourceVersion,
            Context = cluster.Context,
            Raw = g.DeepClone().AsObject(),
            ClusterGeneration = cluster.Generation,
        };
    }

    /// <summary>A Deployment labelled ray.io/cluster and ray.io/group; its counts come from the Deployment's status.</summary>
    internal static RayWorkerGroup FromDeployment(JsonObject deployment, IReadOnlyList<RayPodFacts>? pods = null, string? context = null)
    {
        var labels = deployment.Map("metadata.labels");
        var name = deployment.Str("metadata.name") ?? "";
        var podSpec = deployment.At("spec.template.spec");
        var container = WorkerContainer(podSpec.At("containers"));
        var resources = ContainerResources(container);
        var replicas = deployment.Int("spec.replicas") ?? 1;
        var selector = deployment.Map("spec.selector.matchLabels");
        var mine = pods is null
            ? new List<RayPodFacts>()
            : pods.Where(p => !p.Terminating && selector.Count > 0 && selector.All(kv => p.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value)).ToList();
        var command = string.Join(" ", container.Items("command").Concat(container.Items("args")).Select(n => n.AsString() ?? ""));
        return new RayWorkerGroup
        {
            ClusterName = labels.GetValueOrDefault(KubeRayNames.ClusterLabel, ""),
            Namespace = deployment.Str("metadata.namespace") ?? "",
            GroupName = labels.GetValueOrDefault(KubeRayNames.GroupLabel) ?? name,
            Kind = WorkerGroupKind.Deployment,
            Replicas = replicas,
            DesiredWorkers = replicas,
            CurrentWorkers = deployment.Int("status.replicas") ?? 0,
            ReadyWorkers = deployment.Int("status.readyReplicas") ?? 0,
            AvailableWorkers = deployment.Int("status.availableReplicas") ?? 0,
            MinReplicas = 0,
            MaxReplicas = int.MaxValue,
            Cpu = resources.Cpu,
            Memory = resources.Memory,
            Gpu = resources.Gpu,
            Accelerators = resources.Accelerators,
            Image = container.Str("image"),
            RayResources = RayResourceText.FromRayStartCommand(command),
            DeploymentName = name,
            Pods = mine.Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList(),
            ResourceVersion = deployment.Str("metadata.resourceVersion"),
            Context = context,
            Raw = deployment,
        };
    }

    /// <summary>The Ray container: the one named ray-worker, else the first.</summary>
    private static JsonNode? WorkerContainer(JsonNode? containers)
    {
        var list = containers is JsonArray a ? a.Where(c => c is not null).ToList() : new List<JsonNode?>();
        return list.FirstOrDefault(c => c.Str("name") == "ray-worker") ?? list.FirstOrDefault();
    }

    private static (string? Cpu, string? Memory, string? Gpu, Dictionary<string, string> Accelerators) ContainerResources(JsonNode? container)
    {
        var all = container.Map("resources.limits");
        foreach (var (k, v) in container.Map("resources.requests"))
        {
            all.TryAdd(k, v);
        }
        var gpuKeys = all.Keys.Where(k => k.EndsWith("/gpu", StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var accelerators = all.Where(kv => kv.Key.Contains('/') && !gpuKeys.Contains(kv.Key))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return (all.GetValueOrDefault("cpu"), all.GetValueOrDefault("memory"), gpuKeys.Count > 0 ? all[gpuKeys[0]] : null, accelerators);
    }
}
