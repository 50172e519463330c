using System.Text.Json;
using System.Text.Json.Nodes;
using RayPS.Model;
using RayPS.Ray;

namespace RayPS;

/// <summary>A Ray job of a cluster as Ray's Jobs API reports it (JobDetails), flattened for the pipeline.</summary>
public sealed class RayJob
{
    /// <summary>The id to address the job by: the submission id, or the Ray job id of a driver job (which has none).</summary>
    public string Id => SubmissionId ?? JobId ?? "";
    public string? SubmissionId { get; init; }
    /// <summary>Ray's hex job id; empty until the driver starts.</summary>
    public string? JobId { get; init; }
    public string ClusterName { get; init; } = "";
    public string Namespace { get; init; } = "";
    /// <summary>SUBMISSION (Jobs API) or DRIVER (a script that called ray.init on the cluster).</summary>
    public string Type { get; init; } = "";
    /// <summary>PENDING, RUNNING, STOPPED, SUCCEEDED or FAILED.</summary>
    public string Status { get; init; } = "";
    public string Entrypoint { get; init; } = "";
    public string? Message { get; init; }
    public string? ErrorType { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public DateTimeOffset? EndTime { get; init; }
    /// <summary>End minus start; for a running job, the time since it started.</summary>
    public TimeSpan? Duration { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    /// <summary>The runtime environment as submitted, as nested dictionaries and arrays.</summary>
    public IReadOnlyDictionary<string, object?> RuntimeEnv { get; init; } = new Dictionary<string, object?>();
    public string? DriverNodeId { get; init; }
    public string? DriverNodeIp { get; init; }
    public int? DriverExitCode { get; init; }

    public bool IsTerminal => IsTerminalStatus(Status);

    public static bool IsTerminalStatus(string? status) => status is "STOPPED" or "SUCCEEDED" or "FAILED";

    public override string ToString() => Id;

    /// <summary>Reads one JobDetails object; unknown fields are ignored, every field may be null.</summary>
    public static RayJob FromJson(JsonNode? node, string ns, string clusterName, DateTimeOffset now)
    {
        var start = PositiveMs(node?["start_time"]);
        var end = PositiveMs(node?["end_time"]);
        var status = node?["status"].AsString() ?? "";
        TimeSpan? duration = start is null ? null : end is { } e ? e - start.Value : IsTerminalStatus(status) ? null : now - start.Value;
        return new RayJob
        {
            SubmissionId = node?["submission_id"].AsString(),
            JobId = node?["job_id"].AsString(),
            ClusterName = clusterName,
            Namespace = ns,
            Type = node?["type"].AsString() ?? "",
            Status = status,
            Entrypoint = node?["entrypoint"].AsString() ?? "",
            Message = node?["message"].AsString(),
            ErrorType = node?["error_type"].AsString(),
            StartTime = start,
            EndTime = end,
            Duration = duration is { } d && d < TimeSpan.Zero ? TimeSpan.Zero : duration,
            Metadata = (node?["metadata"]).StringMap(),
            RuntimeEnv = node?["runtime_env"] is JsonObject env ? Dictionary(env) : new Dictionary<string, object?>(),
            DriverNodeId = node?["driver_node_id"].AsString(),
            DriverNodeIp = node?["driver_info"]?["node_ip_address"].AsString(),
            DriverExitCode = node?["driver_exit_code"].AsInt64() is { } code ? (int)code : null,
        };
    }

    // DRIVER jobs may report 0 for a running job's end time.
    private static DateTimeOffset? PositiveMs(JsonNode? node) => node.AsInt64() is { } ms and > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    private static Dictionary<string, object?> Dictionary(JsonObject obj) =>
        obj.ToDictionary(kv => kv.Key, kv => Plain(kv.Value), StringComparer.Ordinal);

    private static object? Plain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => Dictionary(o),
        JsonArray a => a.Select(Plain).ToArray(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.TryGetValue<long>(out var l) ? l : v.GetValue<double>(),
            _ => v.ToJsonString(),
        },
        _ => node.ToJsonString(),
    };
}
