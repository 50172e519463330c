using System.Text.Json.Nodes;

namespace RayPS.Manifests;

/// <summary>
/// Everything that describes one worker group, independent of where it comes from (New-RayCluster parameters,
/// Add-RayWorkerGroup, a Deployment-managed group). <see cref="WorkerGroupBuilder.Build"/> turns it into a
/// spec.workerGroupSpecs entry. Unset values take KubeRay's defaults.
/// </summary>
public sealed class WorkerGroupOptions
{
    public const string DefaultGroupName = "workergroup";

    /// <summary>The Ray container's name in worker pods (KubeRay finds the Ray container by position; the chart calls it this).</summary>
    public const string ContainerName = "ray-worker";

    /// <summary>The group name (the ray.io/group label of its pods).</summary>
    public string GroupName { get; set; } = DefaultGroupName;

    /// <summary>The Ray image, e.g. rayproject/ray:2.46.0. Required.</summary>
    public string Image { get; set; } = "";

    public int Replicas { get; set; } = 1;

    /// <summary>Default 0.</summary>
    public int? MinReplicas { get; set; }

    /// <summary>Default 2147483647 (no cap), KubeRay's default.</summary>
    public int? MaxReplicas { get; set; }

    /// <summary>CPU quantity for requests and limits ("12", "500m").</summary>
    public string? Cpu { get; set; }

    /// <summary>Memory quantity for requests and limits ("40Gi").</summary>
    public string? Memory { get; set; }

    /// <summary>nvidia.com/gpu count; KubeRay passes it to Ray as --num-gpus.</summary>
    public int? Gpu { get; set; }

    /// <summary>
    /// Extended resources, requests = limits (huawei.com/Ascend910B = "1", huawei.com/Ascend910B-memory = "16384").
    /// Ascend device counts also become the Ray resource NPU unless <see cref="RayResources"/> sets NPU itself.
    /// </summary>
    public IDictionary<string, string> Accelerator { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Ray custom resources (ray start --resources), e.g. ascend = 20.</summary>
    public IDictionary<string, decimal> RayResources { get; } = new Dictionary<string, decimal>(StringComparer.Ordinal);

    /// <summary>Extra rayStartParams (without the leading "--").</summary>
    public IDictionary<string, string> RayStartParams { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public IDictionary<string, string> NodeSelector { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Environment variables of the Ray container, in order.</summary>
    public IDictionary<string, string> Env { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Labels of the group's pods (KubeRay adds its own ray.io/* labels).</summary>
    public IDictionary<string, string> PodLabels { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Annotations of the group's pods.</summary>
    public IDictionary<string, string> PodAnnotations { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Pod tolerations (corev1 Toleration objects), e.g. for tainted accelerator nodes.</summary>
    public IList<JsonObject> Tolerations { get; } = new List<JsonObject>();

    /// <summary>Creates the group suspended (KubeRay deletes its pods and keeps the spec).</summary>
    public bool Suspend { get; set; }

    /// <summary>The Ray custom resources this group advertises: <see cref="RayResources"/> plus NPU for Ascend devices.</summary>
    public IReadOnlyDictionary<string, decimal> EffectiveRayResources() =>
        Manifests.RayStartParams.EffectiveRayResources(Accelerator, RayResources);
}
