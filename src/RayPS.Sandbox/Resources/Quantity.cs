using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Resources;

/// <summary>
/// resource.Quantity parsing and canonical formatting (e.g. <c>4</c> → "4", "0.5" → "500m",
/// "1024Mi" → "1Gi", "1000" → "1k"), as built-in objects store requests and limits.
/// </summary>
public static partial class Quantity
{
    private static readonly string[] DecimalSuffixes = ["n", "u", "m", "", "k", "M", "G", "T", "P", "E"];
    private static readonly string[] BinarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    [GeneratedRegex(@"^([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")]
    private static partial Regex Pattern();

    /// <summary>Parses a quantity to its exact decimal value; false when the text is not a quantity.</summary>
    public static bool TryParse(string text, out decimal value, out string format)
    {
        value = 0;
        format = "DecimalSI";
        var m = Pattern().Match(text.Trim());
        if (!m.Success)
        {
            return false;
        }
        if (!decimal.TryParse(m.Groups[2].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        var suffix = m.Groups[3].Value;
        decimal multiplier = 1;
        try
        {
            var binary = Array.IndexOf(BinarySuffixes, suffix);
            if (suffix.Length > 0 && binary > 0)
            {
                format = "BinarySI";
                for (var i = 0; i < binary; i++) multiplier *= 1024;
            }
            else if (suffix.Length > 0 && suffix[0] is 'e' or 'E')
            {
                format = "DecimalExponent";
                var exp = int.Parse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                multiplier = Pow10(exp);
            }
            else
            {
                multiplier = Pow10((Array.IndexOf(DecimalSuffixes, suffix) - 3) * 3);
            }
            value = number * multiplier;
        }
        catch (OverflowException)
        {
            return false;
        }
        if (m.Groups[1].Value == "-")
        {
            value = -value;
        }
        return true;
    }

    private static decimal Pow10(int exp)
    {
        decimal result = 1;
        for (var i = 0; i < Math.Abs(exp); i++)
        {
            result = exp > 0 ? result * 10 : result / 10;
        }
        return result;
    }

    /// <summary>The canonical string of a quantity given as a JSON string or number; null if invalid.</summary>
    public static string? Canonicalize(JsonNode? node)
    {
        string text;
        if (JsonNodes.GetString(node) is { } s)
        {
            text = s;
        }
        else if (JsonNodes.TryGetInteger(node, out var l))
        {
            text = l.ToString(CultureInfo.InvariantCulture);
        }
        else if (JsonNodes.TryGetDouble(node, out var d))
        {
            text = ((decimal)d).ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            return null;
        }
        return TryParse(text, out var value, out var format) ? Format(value, format) : null;
    }

    public static string Format(decimal value, string format)
    {
        if (value == 0)
        {
            return "0";
        }
        if (format == "BinarySI" && (Math.Abs(value) < 1024 || value != decimal.Truncate(value)))
        {
            format = "DecimalSI";
        }
        if (format == "BinarySI")
        {
            var mantissa = value;
            var exp = 0;
            while (mantissa % 1024 == 0 && exp < BinarySuffixes.Length - 1)
            {
                mantissa /= 1024;
                exp++;
            }
            return mantissa.ToString("0", CultureInfo.InvariantCulture) + BinarySuffixes[exp];
        }
        // Round up to nano precision, then take the largest power-of-1000 exponent that keeps an integer mantissa.
        var nanos = decimal.Ceiling(Math.Abs(value) * 1_000_000_000m) * Math.Sign(value);
        var e = -9;
        while (nanos % 1000 == 0 && e < 18)
        {
            nanos /= 1000;
            e += 3;
        }
        var number = nanos.ToString("0", CultureInfo.InvariantCulture);
        if (format == "DecimalExponent")
        {
            return e == 0 ? number : number + "e" + e.ToString(CultureInfo.InvariantCulture);
        }
        return number + DecimalSuffixes[e / 3 + 3];
    }
}
