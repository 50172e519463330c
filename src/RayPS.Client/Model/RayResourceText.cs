using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RayPS.Model;

/// <summary>
/// Reads the custom Ray resources a worker advertises from the text forms they take in manifests: KubeRay's
/// rayStartParams.resources (JSON, often wrapped in quotes: <c>'{"ascend":20}'</c> or <c>"{\"ascend\": 20}"</c>) and a
/// ray start command line (<c>--resources='{"ascend":20}'</c>).
/// </summary>
internal static partial class RayResourceText
{
    [GeneratedRegex(@"--resources[= ](?:'(?<json>[^']*)'|""(?<json>(?:[^""\\]|\\.)*)""|(?<json>\{[^\s]*\}))", RegexOptions.CultureInvariant)]
    private static partial Regex ResourcesFlag();

    /// <summary>Parses a JSON object of resource amounts, tolerating the quoting and escaping KubeRay users write; empty when unreadable.</summary>
    public static Dictionary<string, decimal> ParseJsonMap(string? text)
    {
        var result = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            return result;
        }
        var json = text.Trim();
        while (json.Length >= 2 && (json[0] == '\'' && json[^1] == '\'' || json[0] == '"' && json[^1] == '"'))
        {
            json = json[1..^1].Trim();
        }
        if (json.Contains("\\\"", StringComparison.Ordinal))
        {
            json = json.Replace("\\\"", "\"", StringComparison.Ordinal);
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return result;
            }
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetDecimal(out var number))
                {
                    result[property.Name] = number;
                }
                else if (property.Value.ValueKind == JsonValueKind.String &&
                         decimal.TryParse(property.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
                {
                    result[property.Name] = amount;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the worker advertises nothing we can read; the raw text stays in RayStartParams.
        }
        return result;
    }

    /// <summary>The --resources of a ray start command line; empty when it has none.</summary>
    public static Dictionary<string, decimal> FromRayStartCommand(string? command)
    {
        if (string.IsNullOrEmpty(command))
        {
            return new Dictionary<string, decimal>(StringComparer.Ordinal);
        }
        var match = ResourcesFlag().Match(command);
        return match.Success ? ParseJsonMap(match.Groups["json"].Value) : new Dictionary<string, decimal>(StringComparer.Ordinal);
    }
}
