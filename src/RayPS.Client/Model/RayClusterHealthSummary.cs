namespace RayPS;

/// <summary>One line per Ray cluster for runbooks: how many nodes are in each health state, and the verdict with its reason.</summary>
public sealed class RayClusterHealthSummary
{
    public string ClusterName { get; init; } = "";

    /// <summary>Same as ClusterName (every RayPS object that has a name answers to Name).</summary>
    public string Name => ClusterName;
    public string Namespace { get; init; } = "";
    public int Total { get; init; }
    public int Healthy { get; init; }
    public int Degraded { get; init; }
    public int Unhealthy { get; init; }
    public int Unknown { get; init; }

    /// <summary>Unhealthy when the head is, or no worker is healthy; Degraded when any node is not Healthy; Unknown when nothing could be checked.</summary>
    public RayHealthStatus Status { get; init; }

    /// <summary>The verdict in plain words: the head's problem, or which nodes are not healthy and why.</summary>
    public string Reason { get; init; } = "";

    public string? Context { get; init; }
    public DateTimeOffset CheckedAt { get; init; }

    public override string ToString() => $"{Namespace}/{ClusterName}: {Status} ({Healthy}/{Total} healthy)";
}
