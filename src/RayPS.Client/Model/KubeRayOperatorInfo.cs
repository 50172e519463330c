namespace RayPS;

/// <summary>
/// A KubeRay operator installation: its Deployment, replicas, image and version, its pods' restarts, the ray.io CRDs
/// the cluster serves, and a Status with a Hint that says what to do. When no operator is found, one object with
/// Status NotInstalled says how to install it.
/// </summary>
public sealed class KubeRayOperatorInfo
{
    /// <summary>The operator Deployment's namespace; empty when none was found.</summary>
    public string Namespace { get; init; } = "";

    /// <summary>The operator Deployment's name; empty when none was found.</summary>
    public string Name { get; init; } = "";

    public int ReadyReplicas { get; init; }
    public int DesiredReplicas { get; init; }

    /// <summary>"1/1", as kubectl's READY column.</summary>
    public string Ready => Name.Length == 0 ? "" : $"{ReadyReplicas}/{DesiredReplicas}";

    /// <summary>The operator container's image, e.g. quay.io/kuberay/operator:v1.4.2.</summary>
    public string? Image { get; init; }

    /// <summary>The image tag (v1.4.2), else the chart's version label.</summary>
    public string? Version { get; init; }

    /// <summary>Container restarts of the operator's pods; null when its pods could not be listed.</summary>
    public int? Restarts { get; init; }

    /// <summary>The operator's pods.</summary>
    public IReadOnlyList<string> Pods { get; init; } = Array.Empty<string>();

    /// <summary>rayclusters.ray.io, rayjobs.ray.io and rayservices.ray.io, installed or not.</summary>
    public IReadOnlyList<KubeRayCrd> Crds { get; init; } = Array.Empty<KubeRayCrd>();

    /// <summary>The CRDs in one line: "rayclusters(v1,v1alpha1) rayjobs(v1) rayservices(missing)".</summary>
    public string CrdSummary => string.Join(" ", Crds.Select(c => c.ToString()));

    public KubeRayOperatorStatus Status { get; init; }

    /// <summary>How the operator was installed: RayPS (Install-KubeRayOperator), Helm (meta.helm.sh annotations) or Other; empty when none was found.</summary>
    public string InstalledBy { get; init; } = "";

    /// <summary>The chart version of the install (the helm.sh/chart label), e.g. 1.4.2.</summary>
    public string? ChartVersion { get; init; }

    /// <summary>The namespaces the operator reconciles (--watch-namespace); empty = every namespace.</summary>
    public IReadOnlyList<string> WatchNamespaces { get; init; } = Array.Empty<string>();

    /// <summary>The operator's --feature-gates, name to enabled.</summary>
    public IReadOnlyDictionary<string, bool> FeatureGates { get; init; } = new Dictionary<string, bool>();

    /// <summary>What is wrong and what to do, in plain words; empty when healthy.</summary>
    public string Hint { get; init; } = "";

    public string? Context { get; init; }

    public override string ToString() => Name.Length == 0 ? $"KubeRay operator: {Status}" : $"{Namespace}/{Name}: {Status}";
}
