using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RayPS.Ray;

/// <summary>
/// Readers for the loosely typed values Ray's dashboard returns: protobuf-derived int64s arrive as JSON strings
/// ("1717990100123") or numbers, resource amounts as doubles, and any key may be absent or null.
/// </summary>
internal static class RayJson
{
    public static string? String(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static bool? Bool(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        return v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String => v.GetValue<string>().ToLowerInvariant() switch { "true" or "1" => true, "false" or "0" => false, _ => null },
            _ => null,
        };
    }

    /// <summary>An int64 sent as a number or as a decimal string; null when absent or unreadable.</summary>
    public static long? Int64(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        switch (v.GetValueKind())
        {
            case JsonValueKind.Number:
                if (v.TryGetValue<long>(out var l)) return l;
                if (v.TryGetValue<double>(out var d) && !double.IsNaN(d) && d is >= long.MinValue and <= long.MaxValue) return (long)d;
                return null;
            case JsonValueKind.String:
                return long.TryParse(v.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : null;
            default:
                return null;
        }
    }

    /// <summary>A double sent as a number or a numeric string.</summary>
    public static double? Double(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        return v.GetValueKind() switch
        {
            JsonValueKind.Number when v.TryGetValue<double>(out var d) => d,
            JsonValueKind.String when double.TryParse(v.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) => s,
            _ => null,
        };
    }

    /// <summary>Milliseconds since the epoch; 0 (Ray's "not set", e.g. end time of an ALIVE node) is null.</summary>
    public static DateTimeOffset? EpochMs(JsonNode? node) =>
        Int64(node) is { } ms && ms > 0 && ms < 253402300799999 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public static Dictionary<string, double> NumberMap(JsonNode? node, Func<string, string>? renameKey = null)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (Double(value) is { } amount)
                {
                    result[renameKey?.Invoke(key) ?? key] = amount;
                }
            }
        }
        return result;
    }

    public static Dictionary<string, string> StringMap(JsonNode? node)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (value is JsonValue v)
                {
                    result[key] = v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();
                }
            }
        }
        return result;
    }

    /// <summary>Parses JSON text; null when it is not JSON (Ray answers errors as plain text).</summary>
    public static JsonNode? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var trimmed = text.TrimStart();
        if (trimmed[0] is not ('{' or '[')) return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
