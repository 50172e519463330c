using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RayPS.Model;

/// <summary>Null-tolerant readers for API objects, whose fields are all optional.</summary>
internal static class JsonNodeExtensions
{
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

    public static Dictionary<string, string> Map(this JsonNode? node, string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node.At(path) is JsonObject obj)
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

    public static DateTimeOffset? Time(this JsonNode? node, string path) =>
        DateTimeOffset.TryParse(node.Str(path), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
