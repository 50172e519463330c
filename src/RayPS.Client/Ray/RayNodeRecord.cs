namespace RayPS.Ray;

/// <summary>One Ray node as GCS knows it, from either the state API or the dashboard's node summary.</summary>
internal sealed class RayNodeRecord
{
    public const string Alive = "ALIVE";
    public const string Dead = "DEAD";

    public string NodeId { get; init; } = "";
    public string? Ip { get; init; }
    public bool IsHead { get; init; }

    /// <summary>ALIVE or DEAD (upper case, as Ray sends it).</summary>
    public string State { get; init; } = "";

    /// <summary>Why a DEAD node died ("Unexpected termination: ..."), null while alive.</summary>
    public string? StateMessage { get; init; }

    public string? NodeName { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>resources_total with the state API's raw names (CPU, memory, object_store_memory, accelerator_type:A100, ...).</summary>
    public IReadOnlyDictionary<string, double> Resources { get; init; } = new Dictionary<string, double>();

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The host (pod) name the node reports (dashboard summary only).</summary>
    public string? Hostname { get; init; }

    /// <summary>
    /// stateSnapshot.state of the dashboard summary: IDLE (no running tasks or actors), ACTIVE, DRAINING; null when
    /// Ray did not say (state API, older Ray).
    /// </summary>
    public string? Activity { get; init; }

    /// <summary>stateSnapshot.idleDurationMs while IDLE.</summary>
    public TimeSpan? IdleDuration { get; init; }

    public bool IsIdle => Activity == "IDLE";
    public bool IsBusy => Activity is "ACTIVE" or "DRAINING";

    public bool IsAlive => State == Alive;
    public bool IsDead => State == Dead;

    public override string ToString() => $"{NodeId} {Ip} {State}";
}
