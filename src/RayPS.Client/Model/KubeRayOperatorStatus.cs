namespace RayPS;

/// <summary>The verdict on a KubeRay installation.</summary>
// ConvertTo-Json writes the name, not the number (see docs/architecture.md, "Output objects").
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum KubeRayOperatorStatus
{
    /// <summary>All desired replicas ready, the RayCluster CRD installed and serving ray.io/v1.</summary>
    Healthy,

    /// <summary>Installed but not fully working: replicas not ready, crash-looping, the RayCluster CRD missing or not serving v1, two operators competing.</summary>
    Degraded,

    /// <summary>No operator Deployment found.</summary>
    NotInstalled,
}
