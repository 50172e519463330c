using System.Text.Json.Nodes;
using RayPS.Model;

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
            var id = row["node_id"].AsString();
            if (string.IsNullOrEmpty(id))
            {
                continue;
            }
            nodes.Add(new RayNodeRecord
            {
                NodeId = id,
                Ip = row["node_ip"].AsString(),
                IsHead = row["is_head_node"].AsBool() ?? false,
                State = (row["state"].AsString() ?? "").ToUpperInvariant(),
                StateMessage = row["state_message"].AsString(),
                NodeName = row["node_name"].AsString(),
                StartTime = row["start_time_ms"].AsEpochMs(),
                EndTime = row["end_time_ms"].AsEpochMs(),
                Resources = row["resources_total"].NumberMap(),
                Labels = row["labels"].StringMap(),
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
            if (entry["raylet"] is not JsonObject raylet || raylet["nodeId"].AsString() is not { Length: > 0 } id)
            {
                continue;
            }
            nodes.Add(new RayNodeRecord
            {
                NodeId = id,
                Ip = raylet["nodeManagerAddress"].AsString() ?? entry["ip"].AsString(),
                IsHead = raylet["isHeadNode"].AsBool() ?? false,
                State = (raylet["state"].AsString() ?? "").ToUpperInvariant(),
                StateMessage = raylet["stateMessage"].AsString(),
                NodeName = raylet["nodeName"].AsString(),
                StartTime = raylet["startTimeMs"].AsEpochMs(),
                EndTime = raylet["endTimeMs"].AsEpochMs(),
                Resources = raylet["resourcesTotal"].NumberMap(RayResourceNames.FromCamelCase),
                Labels = raylet["labels"].StringMap(),
                Hostname = entry["hostname"].AsString() ?? raylet["nodeManagerHostname"].AsString(),
                Activity = raylet["stateSnapshot"]?["state"].AsString()?.ToUpperInvariant(),
                IdleDuration = raylet["stateSnapshot"]?["idleDurationMs"].AsInt64() is { } idleMs ? TimeSpan.FromMilliseconds(idleMs) : null,
            });
        }
        return nodes;
    }
}
