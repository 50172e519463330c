using System.Text;
using System.Text.RegularExpressions;

namespace RayPS.Jobs;

/// <summary>
/// A list of gitignore-style patterns (git's wildmatch rules as Ray applies them to a working directory): the last
/// pattern that matches a relative path decides, "!" re-includes, a pattern without a slash matches at any depth, a
/// leading slash anchors it, a trailing slash matches only what lies below a directory of that name, and a pattern
/// that matches a directory also matches everything beneath it.
/// </summary>
public sealed class GitWildMatch
{
    private readonly List<(Regex Pattern, bool Include)> _rules = [];

    public GitWildMatch(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            if (Compile(raw) is { } rule)
            {
                _rules.Add(rule);
            }
        }
    }

    public bool IsEmpty => _rules.Count == 0;

    /// <summary>Whether <paramref name="relativePath"/> ('/'-separated, relative to the patterns' directory) is excluded.</summary>
    public bool Matches(string relativePath)
    {
        var excluded = false;
        foreach (var (pattern, include) in _rules)
        {
            if (pattern.IsMatch(relativePath))
            {
                excluded = !include;
            }
        }
        return excluded;
    }

    private static (Regex, bool)? Compile(string raw)
    {
        var line = raw.TrimEnd('\r', '\n');
        // Trailing spaces are ignored unless escaped.
        while (line.EndsWith(' ') && !line.EndsWith("\\ ", StringComparison.Ordinal))
        {
            line = line[..^1];
        }
        if (line.Length == 0 || line.StartsWith('#'))
        {
            return null;
        }
        var include = false;
        if (line.StartsWith('!'))
        {
            include = true;
            line = line[1..];
        }
        else if (line.StartsWith("\\!", StringComparison.Ordinal) || line.StartsWith("\\#", StringComparison.Ordinal))
        {
            line = line[1..];
        }
        if (line.Length == 0 || line == "/")
        {
            return null;
        }
        var segments = line.Split('/').ToList();
        if (segments[0].Length == 0)
        {
            // "/foo": anchored to the patterns' directory.
            segments.RemoveAt(0);
        }
        else if (segments.Count == 1 || (segments.Count == 2 && segments[1].Length == 0))
        {
            // "foo" or "foo/": at any depth.
            if (segments[0] != "**")
            {
                segments.Insert(0, "**");
            }
        }
        if (segments[^1].Length == 0)
        {
            // "foo/": only what lies below a directory named foo.
            segments[^1] = "**";
        }

        var regex = new StringBuilder("^");
        var last = segments.Count - 1;
        var needSlash = false;
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            if (segment == "**")
            {
                if (i == 0 && i == last)
                {
                    regex.Append(".+");
                }
                else if (i == 0)
                {
                    regex.Append("(?:.+/)?");
                    needSlash = false;
                }
                else if (i == last)
                {
                    regex.Append("/.*");
                }
                else
                {
                    regex.Append("(?:/.+)?");
                    needSlash = true;
                }
                continue;
            }
            if (needSlash)
            {
                regex.Append('/');
            }
            regex.Append(Segment(segment));
            if (i == last)
            {
                // A match on a directory covers everything beneath it.
                regex.Append("(?:/.*)?");
            }
            needSlash = true;
        }
        regex.Append('$');
        return (new Regex(regex.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline), include);
    }

    private static string Segment(string segment)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            switch (c)
            {
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '\\' when i + 1 < segment.Length:
                    sb.Append(Regex.Escape(segment[++i].ToString()));
                    break;
                case '[':
                    var close = segment.IndexOf(']', i + 2);
                    if (close < 0)
                    {
                        sb.Append("\\[");
                        break;
                    }
                    var body = segment[(i + 1)..close];
                    if (body.StartsWith('!'))
                    {
                        body = "^" + body[1..];
                    }
                    sb.Append('[').Append(body.Replace("\\", "\\\\", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        return sb.ToString();
    }
}
