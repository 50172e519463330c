using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RayPS.Model;

/// <summary>
/// The one set of null-tolerant readers for JSON the client reads: API objects (every field optional; <c>Str</c>,
/// <c>Int</c>, <c>Map</c>, ... take a dotted path) and Ray's dashboard answers (protobuf-derived int64s arrive as JSON
/// strings or numbers, resource amounts as doubles, any key may be absent or null; <c>AsString</c>, <c>AsInt64</c>, ...
/// read one value). Request bodies are written by <see cref="Kube.GoJson"/>, not here.
/// </summary>
internal static class JsonNodeExtensions
{
    /// <summary>A string, or a number or boolean as its JSON text.</summary>
    public static string? Str(this JsonNode? node, string path)
    {
        var n = node.At(path);
        return n is JsonValue v ? v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
            _ => null,
        } : null;
    }

    public static int? Int(this JsonNode? node, string path)
    {
        var n = node.At(path);
        if (n is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l)) return (int)Math.Clamp(l, int.MinValue, int.MaxValue);
            if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d)) return (int)d;
            if (v.GetValueKind() == JsonValueKind.String && int.TryParse(v.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)) return s;
        }
        return null;
    }

    public static bool? Bool(this JsonNode? node, string path) =>
        node.At(path) is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    public static JsonNode? At(this JsonNode? node, string path)
    {
        var current = node;
        foreach (var part in path.Split('.'))
        {
            if (current is not JsonObject obj || !obj.TryGetPropertyValue(part, out current))
            {
                return null;
            }
        }
        return current;
    }

    public static IEnumerable<JsonNode> Items(this JsonNode? node, string path) =>
        node.At(path) is JsonArray array ? array.Where(i => i is not null).Cast<JsonNode>() : Enumerable.Empty<JsonNode>();

    public static Dictionary<string, string> Map(this JsonNode? node, string path) => node.At(path).StringMap();

    public static DateTimeOffset? Time(this JsonNode? node, string path) =>
        DateTimeOffset.TryParse(node.Str(path), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    /// <summary>A JSON string; null for anything else.</summary>
    public static string? AsString(this JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>A boolean, also sent as "true"/"false"/"1"/"0".</summary>
    public static bool? AsBool(this JsonNode? node)
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
    public static long? AsInt64(this JsonNode? node)
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
    public static double? AsDouble(this JsonNode? node)
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
    public static DateTimeOffset? AsEpochMs(this JsonNode? node) =>
        node.AsInt64() is { } ms && ms > 0 && ms < 253402300799999 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public static Dictionary<string, double> NumberMap(this JsonNode? node, Func<string, string>? renameKey = null)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (value.AsDouble() is { } amount)
                {
                    result[renameKey?.Invoke(key) ?? key] = amount;
                }
            }
        }
        return result;
    }

    /// <summary>An object's scalar members as text (strings as they are, numbers and booleans as their JSON).</summary>
    public static Dictionary<string, string> StringMap(this JsonNode? node)
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
