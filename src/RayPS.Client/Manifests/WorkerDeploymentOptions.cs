using System.Text.RegularExpressions;

namespace RayPS.Manifests;

/// <summary>
/// A Ray worker group run as a plain Deployment (seed §3): for workers that RayCluster worker groups or Helm values
/// cannot describe, such as Ascend NPU nodes that need the driver mounted from the host and a liveness probe.
/// <see cref="WorkerDeploymentBuilder.Build"/> turns it into an apps/v1 Deployment.
/// </summary>
public sealed partial class WorkerDeploymentOptions
{
    public const int GcsPort = KubeRayNames.GcsPort;
    public const int DefaultUlimitNoFile = 65536;
    public const int DefaultDashboardAgentPort = KubeRayNames.DashboardAgentPort;
    public const int DefaultMetricsExportPort = 8080;
    public const int DefaultLivenessInitialDelaySeconds = 30;
    public const int DefaultLivenessPeriodSeconds = 5;
    public const int DefaultLivenessFailureThreshold = 120;

    /// <summary>The wget in the liveness probe gives up after 2 s; the probe allows it that long (the default 1 s would cut it short).</summary>
    public const int LivenessTimeoutSeconds = 2;

    /// <summary>The RayCluster whose head the workers join (its head service is the address).</summary>
    public string ClusterName { get; set; } = "";

    public string Namespace { get; set; } = "default";

    /// <summary>The Deployment's name; default &lt;cluster&gt;-&lt;group&gt;.</summary>
    public string? Name { get; set; }

    /// <summary>The ray.io/identifier label the Deployment selects its pods by; default the Deployment's name.</summary>
    public string? Identifier { get; set; }

    /// <summary>
    /// The group: name, image, replicas, CPU, memory, GPUs, accelerators, Ray resources, extra ray start flags, env,
    /// node selector, tolerations, pod labels and annotations. Min/max replicas and Suspend do not apply to a Deployment.
    /// </summary>
    public WorkerGroupOptions Worker { get; } = new();

    /// <summary>Memory Ray may use (ray start --memory), a quantity ("20G", "18Gi", "20000000000"); written in bytes.</summary>
    public string? RayMemory { get; set; }

    /// <summary>Host paths mounted into the Ray container, in order.</summary>
    public IList<HostPathMount> HostPathMounts { get; } = new List<HostPathMount>();

    /// <summary>Open-file limit set with ulimit -n before ray start.</summary>
    public int UlimitNoFile { get; set; } = DefaultUlimitNoFile;

    public int DashboardAgentPort { get; set; } = DefaultDashboardAgentPort;

    public int MetricsExportPort { get; set; } = DefaultMetricsExportPort;

    public int LivenessInitialDelaySeconds { get; set; } = DefaultLivenessInitialDelaySeconds;

    public int LivenessPeriodSeconds { get; set; } = DefaultLivenessPeriodSeconds;

    public int LivenessFailureThreshold { get; set; } = DefaultLivenessFailureThreshold;

    [GeneratedRegex("[^a-z0-9]+", RegexOptions.CultureInvariant)]
    private static partial Regex NotDnsChars();

    /// <summary>-Name, else &lt;cluster&gt;-&lt;group&gt; made a DNS label (a group name may hold '_', '.' or capitals; a Deployment name may not).</summary>
    public string DeploymentName => string.IsNullOrEmpty(Name) ? DefaultDeploymentName(ClusterName, Worker.GroupName) : Name;

    /// <summary>The name New-RayWorkerDeployment gives a group's Deployment when -Name is not given.</summary>
    public static string DefaultDeploymentName(string clusterName, string groupName) =>
        NotDnsChars().Replace($"{clusterName}-{groupName}".ToLowerInvariant(), "-").Trim('-');

    public string IdentifierValue => string.IsNullOrEmpty(Identifier) ? DeploymentName : Identifier;

    /// <summary>The head's GCS address as the workers reach it: &lt;cluster&gt;-head-svc.&lt;namespace&gt;.svc.cluster.local:6379.</summary>
    public string HeadAddress => $"{KubeRayNames.HeadServiceHost(ClusterName, Namespace)}:{GcsPort}";
}

/// <summary>A host directory or file mounted into the Ray container (hostPath volume).</summary>
public sealed record HostPathMount(string HostPath, string MountPath, bool ReadOnly = false);
