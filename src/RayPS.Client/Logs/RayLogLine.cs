namespace RayPS;

/// <summary>
/// One line of a Ray node's log: a container's output (pods/log) or a line of one of Ray's session log files
/// (raylet.out, gcs_server.out, ...) read through the head's dashboard. ToString() is the text, so Select-String and
/// -match see the line itself.
/// </summary>
public sealed class RayLogLine
{
    public string ClusterName { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string PodName { get; init; } = "";

    /// <summary>head or worker.</summary>
    public string NodeType { get; init; } = "";

    /// <summary>The worker group (ray.io/group), "headgroup" for a KubeRay head.</summary>
    public string? Group { get; init; }

    /// <summary>Container (pods/log) or RayLog (a Ray session log file).</summary>
    public string Source { get; init; } = "";

    /// <summary>The container whose output this is; null for a Ray log file.</summary>
    public string? Container { get; init; }

    /// <summary>The Ray log file (relative to the session's logs folder); null for container output.</summary>
    public string? File { get; init; }

    /// <summary>True when the line comes from the container's previous (terminated) instance.</summary>
    public bool Previous { get; init; }

    /// <summary>When the line was written: the kubelet's timestamp for container output, the line's own for Ray files (UTC); null when the line has none.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    public string Text { get; init; } = "";

    /// <summary>For lines of a previous instance: how it ended as the kubelet recorded it, e.g. "OOMKilled (exit code 137) at 2026-01-01T10:00:00Z".</summary>
    public string? Termination { get; init; }

    public override string ToString() => Text;
}
