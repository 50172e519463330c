using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Ray;

/// <summary>
/// JSON as Python's <c>json.dumps</c> writes it (the Ray dashboard's serializer): <c>", "</c> and
/// <c>": "</c> separators, ASCII-only escapes, and floats in Python's repr (<c>8.0</c>, <c>1e+16</c>).
/// A value created from a <see cref="double"/> is a float; integers stay integers.
/// </summary>
internal static class PyJson
{
    /// <summary>json.dumps's defaults: ensure_ascii, separators (", ", ": ").</summary>
    private static readonly JsonStyle Python = new(", ", ": ", PythonEscape, FormatFloat);

    public static string Serialize(JsonNode? node)
    {
        var sb = new StringBuilder();
        Python.Write(sb, node);
        return sb.ToString();
    }

    public static byte[] SerializeToUtf8(JsonNode? node) => Encoding.UTF8.GetBytes(Serialize(node));

    /// <summary>Python's float repr: shortest round-trip digits, ".0" for integral values, exponent outside [1e-4, 1e16).</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        // Decompose into significant digits and the decimal exponent of the first digit.
        string digits;
        int exponent;
        var e = r.IndexOf('E', StringComparison.Ordinal);
        if (e >= 0)
        {
            var mantissa = r[..e];
            exponent = int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            digits = mantissa.Replace(".", "", StringComparison.Ordinal);
        }
        else
        {
            var dot = r.IndexOf('.', StringComparison.Ordinal);
            var intPart = dot < 0 ? r : r[..dot];
            var fracPart = dot < 0 ? "" : r[(dot + 1)..];
            var all = intPart + fracPart;
            var firstNonZero = all.Length - all.TrimStart('0').Length;
            exponent = intPart.Length - 1 - firstNonZero;
            digits = all.TrimStart('0');
        }
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var sb = new StringBuilder(d < 0 ? "-" : "");
        if (exponent >= -4 && exponent < 16)
        {
            if (exponent < 0)
            {
                sb.Append("0.").Append('0', -exponent - 1).Append(digits);
            }
            else if (digits.Length <= exponent + 1)
            {
                sb.Append(digits).Append('0', exponent + 1 - digits.Length).Append(".0");
            }
            else
            {
                sb.Append(digits, 0, exponent + 1).Append('.').Append(digits, exponent + 1, digits.Length - exponent - 1);
            }
            return sb.ToString();
        }
        sb.Append(digits[0]);
        if (digits.Length > 1)
        {
            sb.Append('.').Append(digits, 1, digits.Length - 1);
        }
        sb.Append('e').Append(exponent < 0 ? '-' : '+').Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static string? PythonEscape(char c) => c switch
    {
        '\b' => "\\b",
        '\f' => "\\f",
        < (char)0x20 or > (char)0x7e => JsonStyle.UnicodeEscape(c),
        _ => null,
    };

    /// <summary>A JSON float value (serialised with a decimal point).</summary>
    public static JsonValue Float(double d) => JsonValue.Create(d);
}

/// <summary>Text conventions of the Ray dashboard.</summary>
internal static class RayText
{
    /// <summary>
    /// <c>to_camel_case</c>: split on "_", keep the first part, <c>str.title()</c> the rest
    /// (<c>node:__internal_head__</c> → <c>node:InternalHead</c>, <c>accelerator_type:TPU-V4</c> → <c>acceleratorType:Tpu-V4</c>).
    /// </summary>
    public static string ToCamelCase(string snake)
    {
        if (!snake.Contains('_', StringComparison.Ordinal))
        {
            return snake;
        }
        var parts = snake.Split('_');
        var sb = new StringBuilder(parts[0]);
        for (var i = 1; i < parts.Length; i++)
        {
            sb.Append(Title(parts[i]));
        }
        return sb.ToString();
    }

    /// <summary>Python's <c>str.title()</c>: a cased letter after an uncased character is upper-cased, others lower-cased.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var previousCased = false;
        foreach (var c in s)
        {
            if (char.IsLetter(c))
            {
                sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
                previousCased = true;
            }
            else
            {
                sb.Append(c);
                previousCased = false;
            }
        }
        return sb.ToString();
    }

    /// <summary><c>to_google_style</c>: every object key, recursively, camelCased.</summary>
    public static JsonNode? ToGoogleStyle(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj.ToList())
                {
                    obj.Remove(key);
                    result[ToCamelCase(key)] = ToGoogleStyle(value);
                }
                return result;
            case JsonArray arr:
                return JsonNodes.ReplaceItems(arr, ToGoogleStyle);
            default:
                return node;
        }
    }

    /// <summary>Ray's <c>format_memory</c>: "16.00GiB", "512.00MiB", "0B".</summary>
    public static string FormatMemory(double bytes)
    {
        foreach (var (suffix, unit) in new[] { ("GiB", 1073741824d), ("MiB", 1048576d), ("KiB", 1024d) })
        {
            if (bytes >= unit)
            {
                return (bytes / unit).ToString("0.00", CultureInfo.InvariantCulture) + suffix;
            }
        }
        return ((long)bytes).ToString(CultureInfo.InvariantCulture) + "B";
    }

    /// <summary>"used/total name" as the autoscaler prints one resource.</summary>
    public static string FormatUsage(string name, double used, double total) =>
        name is "memory" or "object_store_memory"
            ? $"{FormatMemory(used)}/{FormatMemory(total)} {name}"
            : $"{PyJson.FormatFloat(used)}/{PyJson.FormatFloat(total)} {name}";

    /// <summary>The usage lines of one node or the whole cluster, CPU/GPU first, memories last.</summary>
    public static IEnumerable<string> UsageLines(IReadOnlyDictionary<string, double> totals, IReadOnlyDictionary<string, double> used)
    {
        static int Rank(string k) => k switch { "CPU" => 0, "GPU" => 1, "memory" => 3, "object_store_memory" => 4, _ => 2 };
        foreach (var key in totals.Keys.Where(k => !k.StartsWith("node:", StringComparison.Ordinal) && !k.StartsWith("accelerator_type:", StringComparison.Ordinal))
                     .OrderBy(Rank).ThenBy(k => k, StringComparer.Ordinal))
        {
            yield return FormatUsage(key, used.GetValueOrDefault(key), totals[key]);
        }
    }

    /// <summary>Compares a dotted version ("2.46.0") with another; non-numeric parts count as 0.</summary>
    public static int CompareVersions(string a, string b)
    {
        var pa = a.Split('.');
        var pb = b.Split('.');
        for (var i = 0; i < Math.Max(pa.Length, pb.Length); i++)
        {
            var x = i < pa.Length && int.TryParse(pa[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var xi) ? xi : 0;
            var y = i < pb.Length && int.TryParse(pb[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var yi) ? yi : 0;
            if (x != y)
            {
                return x.CompareTo(y);
            }
        }
        return 0;
    }

    /// <summary>The Ray version of an image tag ("rayproject/ray:2.48.0.py311-npu" → "2.48.0"); null when the tag has none.</summary>
    public static string? VersionFromImage(string image)
    {
        var slash = image.LastIndexOf('/');
        var colon = image.IndexOf(':', slash + 1);
        if (colon < 0)
        {
            return null;
        }
        var tag = image[(colon + 1)..];
        var m = System.Text.RegularExpressions.Regex.Match(tag, @"^v?(\d+\.\d+\.\d+)");
        return m.Success ? m.Groups[1].Value : null;
    }
}
