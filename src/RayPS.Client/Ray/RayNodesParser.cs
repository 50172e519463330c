using System.Text.Json.Nodes;

namespace RayPS.Ray;

/// <summary>
/// Parses the head's node lists: the state API (<c>/api/v0/nodes</c>: snake_case keys, raw resource names, numeric
/// times) and the dashboard's summary (<c>/nodes?view=summary</c>: camelCased keys and resource names, int64 times as
/// strings, physical stats that may be missing). Every key is optional.
/// </summary>
internal static class RayNodesParser
{
    /// <summary>data.result.result[] of /api/v0/nodes.</summary>
    public static IReadOnlyList<RayNodeRecord> FromStateApi(JsonObject data)
    {
        var rows = data["result"]?["result"] as JsonArray;
        var nodes = new List<RayNodeRecord>();
        foreach (var row in rows?.OfType<JsonObject>() ?? Enumerable.Empty<JsonObject>())
        {
            var id = RayJson.String(row["node_id"]);
            if (string.IsNullOrEmpty(id))
            {
                continue;
            }
            nodes.Add(new RayNodeRecord
            {
                NodeId = id,
                Ip = RayJson.String(row["node_ip"]),
                IsHead = RayJson.Bool(row["is_head_node"]) ?? false,
                State = (RayJson.String(row["state"]) ?? "").ToUpperInvariant(),
                StateMessage = RayJson.String(row["state_message"]),
                NodeName = RayJson.String(row["node_name"]),
                StartTime = RayJson.EpochMs(row["start_time_ms"]),
                EndTime = RayJson.EpochMs(row["end_time_ms"]),
                Resources = RayJson.NumberMap(row["resources_total"]),
                Labels = RayJson.StringMap(row["labels"]),
            });
        }
        return nodes;
    }

    /// <summary>data.summary[].raylet of /nodes?view=summary.</summary>
    public static IReadOnlyList<RayNodeRecord> FromNodeSummary(JsonObject data)
    {
        var nodes = new List<RayNodeRecord>();
        foreach (var entry in (data["summary"] as JsonArray)?.OfType<JsonObject>() ?? Enumerable.Empty<JsonObject>())
        {
            if (entry["raylet"] is not JsonObject raylet || RayJson.String(raylet["nodeId"]) is not { Length: > 0 } id)
            {
                continue;
            }
            nodes.Add(new RayNodeRecord
            {
                NodeId = id,
                Ip = RayJson.String(raylet["nodeManagerAddress"]) ?? RayJson.String(entry["ip"]),
                IsHead = RayJson.Bool(raylet["isHeadNode"]) ?? false,
                State = (RayJson.String(raylet["state"]) ?? "").ToUpperInvariant(),
                StateMessage = RayJson.String(raylet["stateMessage"]),
                NodeName = RayJson.String(raylet["nodeName"]),
                StartTime = RayJson.EpochMs(raylet["startTimeMs"]),
                EndTime = RayJson.EpochMs(raylet["endTimeMs"]),
                Resources = RayJson.NumberMap(raylet["resourcesTotal"], RayResourceNames.FromCamelCase),
                Labels = RayJson.StringMap(raylet["labels"]),
                Hostname = RayJson.String(entry["hostname"]) ?? RayJson.String(raylet["nodeManagerHostname"]),
                Activity = RayJson.String(raylet["stateSnapshot"]?["state"])?.ToUpperInvariant(),
                IdleDuration = RayJson.Int64(raylet["stateSnapshot"]?["idleDurationMs"]) is { } idleMs ? TimeSpan.FromMilliseconds(idleMs) : null,
            });
        }
        return nodes;
    }
}
