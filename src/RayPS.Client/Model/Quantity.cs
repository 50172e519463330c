using System.Globalization;
using System.Text.RegularExpressions;

namespace RayPS.Model;

/// <summary>Kubernetes resource quantities ("500m", "40Gi", "1.5", "16384"): validation and conversion.</summary>
public static partial class Quantity
{
    [GeneratedRegex(@"^(?<num>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?<suffix>[numkMGTPE]|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>True for a valid non-negative quantity as the API server accepts it.</summary>
    public static bool IsValid(string? text) => text is not null && Pattern().IsMatch(text.Trim());

    /// <summary>Parses to a plain number (cores, bytes, or a count). Throws FormatException when invalid.</summary>
    public static decimal Parse(string text)
    {
        var m = Pattern().Match(text.Trim());
        if (!m.Success)
        {
            throw new FormatException($"'{text}' is not a Kubernetes quantity.");
        }
        var value = decimal.Parse(m.Groups["num"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        var suffix = m.Groups["suffix"].Value;
        return value * Multiplier(suffix);
    }

    public static bool TryParse(string? text, out decimal value)
    {
        value = 0;
        if (!IsValid(text)) return false;
        try { value = Parse(text!); return true; } catch (OverflowException) { return false; }
    }

    private static decimal Multiplier(string suffix) => suffix switch
    {
        "" => 1m,
        "n" => 1e-9m,
        "u" => 1e-6m,
        "m" => 1e-3m,
        "k" => 1e3m,
        "M" => 1e6m,
        "G" => 1e9m,
        "T" => 1e12m,
        "P" => 1e15m,
        "E" => 1e18m,
        "Ki" => 1024m,
        "Mi" => 1024m * 1024,
        "Gi" => 1024m * 1024 * 1024,
        "Ti" => 1024m * 1024 * 1024 * 1024,
        "Pi" => 1024m * 1024 * 1024 * 1024 * 1024,
        "Ei" => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
        _ when suffix[0] is 'e' or 'E' => (decimal)Math.Pow(10, int.Parse(suffix[1..], CultureInfo.InvariantCulture)),
        _ => throw new FormatException($"Unknown quantity suffix '{suffix}'."),
    };

    /// <summary>Formats bytes the way people read memory: "40Gi", "512Mi", or a plain number.</summary>
    public static string FormatBytes(decimal bytes)
    {
        string[] units = { "Ei", "Pi", "Ti", "Gi", "Mi", "Ki" };
        for (var i = 0; i < units.Length; i++)
        {
            var unit = (decimal)Math.Pow(1024, units.Length - i);
            if (bytes >= unit && bytes % unit == 0)
            {
                return (bytes / unit).ToString(CultureInfo.InvariantCulture) + units[i];
            }
        }
        for (var i = 0; i < units.Length; i++)
        {
            var unit = (decimal)Math.Pow(1024, units.Length - i);
            if (bytes >= unit)
            {
                return Math.Round(bytes / unit, 1).ToString(CultureInfo.InvariantCulture) + units[i];
            }
        }
        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    public static string FormatNumber(decimal value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
