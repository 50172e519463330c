using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RayPS.Manifests;

/// <summary>
/// How Helm's Go templates see and print values. Helm reads values files through JSON, so every number is a
/// float64 and prints with Go's %v: 16384 stays "16384" but 20000000000 becomes "2e+10" and a tag 2.10 becomes "2.1".
/// </summary>
internal static class GoTemplateText
{
    /// <summary>What "{{ value }}" prints; null for a value that prints nothing. Maps and lists have no useful text.</summary>
    public static string? Print(JsonNode? value) => value switch
    {
        null => null,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => FormatFloat(Number(v)),
            _ => null,
        },
        _ => null,
    };

    /// <summary>Go template truth (if, with, default): false, 0, "", null and empty maps or lists are false.</summary>
    public static bool IsTruthy(JsonNode? value) => value switch
    {
        null => false,
        JsonObject o => o.Count > 0,
        JsonArray a => a.Count > 0,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>().Length > 0,
            JsonValueKind.False => false,
            JsonValueKind.Number => Number(v) != 0,
            JsonValueKind.Null => false,
            _ => true,
        },
        _ => true,
    };

    /// <summary>
    /// A printed value as the rendered YAML reads it back: "{{ .Values.worker.replicas }}" printed "2" becomes the
    /// number 2, "ClusterIP" stays a string, and an empty print becomes null (the key disappears).
    /// </summary>
    public static JsonNode? Reparse(JsonNode? value)
    {
        var text = Print(value);
        return text is null ? null : YamlJson.ResolvePlain(text);
    }

    /// <summary>A JSON number as the float64 Helm sees (whatever .NET type backs the node).</summary>
    private static double Number(JsonValue value) => double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Go's %v of a float64 (strconv 'g', shortest digits): exponent form when the exponent is below -4 or at least 6.</summary>
    public static string FormatFloat(double value)
    {
        if (value == 0)
        {
            return "0";
        }

        var (digits, pointPos) = Digits(Math.Abs(value).ToString("R", CultureInfo.InvariantCulture));
        var sign = value < 0 ? "-" : string.Empty;
        var exponent = pointPos - 1;
        if (exponent < -4 || exponent >= 6)
        {
            var mantissa = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
            return $"{sign}{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }

        string text;
        if (pointPos <= 0)
        {
            text = "0." + new string('0', -pointPos) + digits;
        }
        else if (pointPos >= digits.Length)
        {
            text = digits + new string('0', pointPos - digits.Length);
        }
        else
        {
            text = digits[..pointPos] + "." + digits[pointPos..];
        }
        return sign + text;
    }

    private static (string Digits, int PointPos) Digits(string roundTrip)
    {
        var mantissa = roundTrip;
        var exp = 0;
        var e = roundTrip.IndexOfAny(new[] { 'E', 'e' });
        if (e >= 0)
        {
            mantissa = roundTrip[..e];
            exp = int.Parse(roundTrip[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        var dot = mantissa.IndexOf('.');
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : string.Empty;
        var all = intPart + fracPart;
        var pointPos = intPart.Length + exp;
        var leading = all.Length - all.TrimStart('0').Length;
        all = all.TrimStart('0');
        pointPos -= leading;
        all = all.TrimEnd('0');
        return (all.Length == 0 ? "0" : all, pointPos);
    }
}
