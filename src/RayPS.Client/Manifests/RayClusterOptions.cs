namespace RayPS.Manifests;

/// <summary>A RayCluster described by parameters (New-RayCluster's parameter set); built by <see cref="RayClusterManifestBuilder"/>.</summary>
public sealed class RayClusterOptions
{
    /// <summary>The Ray version chart 1.4.2 deploys.</summary>
    public const string DefaultRayVersion = "2.46.0";

    /// <summary>New-RayCluster's sizes when none are given: kubectl ray create cluster's defaults.</summary>
    public const string DefaultHeadCpu = "2";
    public const string DefaultHeadMemory = "4Gi";
    public const string DefaultWorkerCpu = "2";
    public const string DefaultWorkerMemory = "4Gi";

    /// <summary>The head's Ray container name, as the chart names it.</summary>
    public const string HeadContainerName = "ray-head";

    public string Name { get; set; } = "";

    /// <summary>Null leaves metadata.namespace out (kubectl apply then uses its context's namespace).</summary>
    public string? Namespace { get; set; }

    public string RayVersion { get; set; } = DefaultRayVersion;

    /// <summary>Default rayproject/ray:&lt;RayVersion&gt;.</summary>
    public string? Image { get; set; }

    /// <summary>Head CPU for requests and limits; null leaves it out (New-RayCluster passes <see cref="DefaultHeadCpu"/>).</summary>
    public string? HeadCpu { get; set; }

    /// <summary>Head memory for requests and limits; null leaves it out (New-RayCluster passes <see cref="DefaultHeadMemory"/>).</summary>
    public string? HeadMemory { get; set; }

    /// <summary>Extra head rayStartParams; dashboard-host defaults to 0.0.0.0 so the dashboard is reachable through the head service.</summary>
    public IDictionary<string, string> HeadRayStartParams { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The worker groups; their Image defaults to the cluster image when empty.</summary>
    public IList<WorkerGroupOptions> WorkerGroups { get; } = new List<WorkerGroupOptions>();

    /// <summary>Labels of the RayCluster object.</summary>
    public IDictionary<string, string> Labels { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Annotations of the RayCluster object.</summary>
    public IDictionary<string, string> Annotations { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Annotations of every Ray pod (head and workers; a group's own annotations win).</summary>
    public IDictionary<string, string> PodAnnotations { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Node selector of every Ray pod (head and workers; a group's own entries win).</summary>
    public IDictionary<string, string> NodeSelector { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The head service type: ClusterIP (KubeRay's default), NodePort or LoadBalancer.</summary>
    public string? ServiceType { get; set; }

    /// <summary>Adds the Ray autoscaler sidecar (spec.enableInTreeAutoscaling).</summary>
    public bool EnableAutoscaling { get; set; }

    /// <summary>Seconds an idle worker lives before the autoscaler removes it (autoscalerOptions.idleTimeoutSeconds).</summary>
    public int? IdleTimeoutSeconds { get; set; }

    public string EffectiveImage => string.IsNullOrWhiteSpace(Image) ? $"rayproject/ray:{RayVersion}" : Image;
}
