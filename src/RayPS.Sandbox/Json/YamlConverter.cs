using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RayPS.Sandbox.Json;

/// <summary>
/// Converts YAML to JSON nodes with the scalar resolution of sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 booleans).
/// </summary>
public static partial class YamlConverter
{
    /// <summary>Parses every document in <paramref name="yaml"/>; empty documents are skipped.</summary>
    public static IReadOnlyList<JsonNode?> ParseAll(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new FormatException("error converting YAML to JSON: yaml: " + ex.Message, ex);
        }
        var result = new List<JsonNode?>();
        foreach (var doc in stream.Documents)
        {
            if (doc.RootNode is YamlScalarNode { Value: null or "" } scalar && scalar.Style == ScalarStyle.Plain)
            {
                continue;
            }
            result.Add(Convert(doc.RootNode));
        }
        return result;
    }

    /// <summary>Parses a single YAML (or JSON) document.</summary>
    public static JsonNode? Parse(string yaml)
    {
        var docs = ParseAll(yaml);
        return docs.Count == 0 ? null : docs[0];
    }

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    var name = key is YamlScalarNode s ? s.Value ?? "null" : key.ToString();
                    obj.Remove(name);
                    obj[name] = Convert(value);
                }
                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                foreach (var child in seq.Children)
                {
                    arr.Add(Convert(child));
                }
                return arr;
            case YamlScalarNode scalar:
                return ConvertScalar(scalar);
            default:
                return null;
        }
    }

    private static JsonNode? ConvertScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is "tag:yaml.org,2002:str" || scalar.Style != ScalarStyle.Plain && tag is null)
        {
            return JsonValue.Create(text);
        }
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON":
                return JsonValue.Create(true);
            case "n" or "N" or "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF":
                return JsonValue.Create(false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return JsonValue.Create(double.PositiveInfinity);
            case "-.inf" or "-.Inf" or "-.INF":
                return JsonValue.Create(double.NegativeInfinity);
        }
        if (IntegerPattern().IsMatch(text))
        {
            var clean = text.Replace("_", string.Empty, StringComparison.Ordinal);
            var negative = clean.StartsWith('-');
            var digits = clean.TrimStart('+', '-');
            long? value = null;
            if (digits.StartsWith("0x", StringComparison.Ordinal))
            {
                value = long.Parse(digits[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
            else if (digits.StartsWith("0b", StringComparison.Ordinal))
            {
                value = System.Convert.ToInt64(digits[2..], 2);
            }
            else if (digits.StartsWith("0o", StringComparison.Ordinal))
            {
                value = System.Convert.ToInt64(digits[2..], 8);
            }
            else if (digits.Length > 1 && digits[0] == '0' && digits.All(c => c is >= '0' and <= '7'))
            {
                value = System.Convert.ToInt64(digits, 8);
            }
            else if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                value = parsed;
            }
            if (value is { } v)
            {
                return JsonValue.Create(negative ? -v : v);
            }
            return JsonValue.Create(double.Parse(clean, CultureInfo.InvariantCulture));
        }
        if (FloatPattern().IsMatch(text))
        {
            return JsonValue.Create(double.Parse(text.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture));
        }
        return JsonValue.Create(text);
    }

    [GeneratedRegex(@"^[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
