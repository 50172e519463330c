namespace RayPS;

/// <summary>
/// How healthy a Ray node (or a whole cluster) is. Compare as strings in pipelines:
/// <c>Where-Object Status -ne Healthy</c>.
/// </summary>
// ConvertTo-Json writes the name, not the number (see docs/architecture.md, "Output objects").
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum RayHealthStatus
{
    /// <summary>Pod running and ready, raylet answers, Ray reports the node ALIVE (head: GCS answers too).</summary>
    Healthy,

    /// <summary>Working, but something needs attention: recent restarts, not Ready, head down while the raylet still answers.</summary>
    Degraded,

    /// <summary>Not doing Ray work: pod pending, failed or crash-looping, raylet failing, node DEAD, GCS down.</summary>
    Unhealthy,

    /// <summary>Could not be determined (no permission to probe, node unknown to Kubernetes, pod phase Unknown).</summary>
    Unknown,
}
