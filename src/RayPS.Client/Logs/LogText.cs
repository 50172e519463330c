using System.Globalization;
using System.Text.RegularExpressions;

namespace RayPS.Logs;

/// <summary>Parsing helpers for log lines and names: timestamps, wildcards.</summary>
internal static partial class LogText
{
    /// <summary>Splits the kubelet's RFC 3339 timestamp (timestamps=true) off a container log line.</summary>
    public static (DateTimeOffset? Time, string Text) SplitKubeletTimestamp(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space < 20 || !TryParseRfc3339(line[..space], out var time))
        {
            return (null, line);
        }
        return (time, line[(space + 1)..]);
    }

    /// <summary>RFC 3339 with up to nine fractional digits (.NET parses seven).</summary>
    public static bool TryParseRfc3339(string text, out DateTimeOffset time)
    {
        var match = Rfc3339().Match(text);
        if (!match.Success)
        {
            time = default;
            return false;
        }
        var fraction = match.Groups["f"].Value;
        var normalized = match.Groups["s"].Value + (fraction.Length > 0 ? "." + fraction[..Math.Min(7, fraction.Length)] : "") + match.Groups["z"].Value;
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }

    /// <summary>The time at the start of a Ray log line: <c>[2025-06-01 12:00:00,123 I ...]</c> (C++) or <c>2025-06-01 12:00:00,123\tINFO</c> (Python); UTC.</summary>
    public static DateTimeOffset? RayLineTime(string line)
    {
        var match = RayTime().Match(line);
        if (!match.Success)
        {
            return null;
        }
        return DateTimeOffset.TryParseExact(match.Groups["t"].Value, "yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;
    }

    public static bool HasWildcard(string pattern) => pattern.IndexOfAny(['*', '?', '[']) >= 0;

    /// <summary>PowerShell-style wildcard match (*, ?, [abc]), case-insensitive.</summary>
    public static bool IsMatch(string pattern, string text)
    {
        var regex = "^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".").Replace("\\[", "[").Replace("\\]", "]") + "$";
        try
        {
            return Regex.IsMatch(text, regex, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException)
        {
            return string.Equals(pattern, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    public static bool MatchesAny(IReadOnlyList<string>? patterns, string? text) =>
        patterns is null || patterns.Count == 0 || (text is not null && patterns.Any(p => IsMatch(p, text)));

    [GeneratedRegex(@"^(?<s>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.(?<f>\d{1,9}))?(?<z>Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    [GeneratedRegex(@"^\[?(?<t>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3})", RegexOptions.CultureInvariant)]
    private static partial Regex RayTime();
}
