namespace RayPS;

/// <summary>The faults a sandbox pod carries (its <c>sandbox.rayps.io/*</c> annotations), as Set-RaySandboxPodFault left them.</summary>
public sealed class RaySandboxPodFault
{
    public int SandboxId { get; init; }
    public string Namespace { get; init; } = "";
    public string PodName { get; init; } = "";

    /// <summary>False when the pod's raylet answers 503 to its health check; null when not set (healthy).</summary>
    public bool? RayletHealthy { get; init; }

    /// <summary>The Ray node state GCS reports for the pod (DEAD), or null when not set.</summary>
    public string? RayNodeState { get; init; }

    public int? ProbeLatencyMs { get; init; }
    public int? OomAfterMs { get; init; }

    /// <summary>False when a head pod's GCS health check fails; null when not set.</summary>
    public bool? GcsHealthy { get; init; }

    /// <summary>True when the pod's Ray node is made busy (runs tasks), so a scale-down should keep it.</summary>
    public bool RayBusy { get; init; }

    public override string ToString() => $"{Namespace}/{PodName}";
}
