using System.Text.RegularExpressions;

namespace RayPS.Sandbox.Tests.Golden;

/// <summary>The normalisation the golden README prescribes for response bodies.</summary>
public static partial class GoldenNormalizer
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();

    public static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    result[key] = key switch
                    {
                        "managedFields" => JsonValue.Create("<managedFields>"),
                        "uid" when JsonNodes.GetString(value) is { Length: > 0 } => JsonValue.Create("<uid>"),
                        "resourceVersion" when JsonNodes.GetString(value) is { Length: > 0 } => JsonValue.Create("<rv>"),
                        _ => Normalize(value),
                    };
                }
                return result;
            case JsonArray arr:
                return new JsonArray(arr.Select(Normalize).ToArray());
            case JsonValue v when JsonNodes.GetString(v) is { } s && Rfc3339().IsMatch(s):
                return JsonValue.Create("<time>");
            default:
                return node?.DeepClone();
        }
    }
}
