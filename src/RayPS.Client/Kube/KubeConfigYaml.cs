using System.Globalization;
using System.Text;

namespace RayPS.Kube;

/// <summary>A node of a kubeconfig read by <see cref="KubeConfigYaml"/>.</summary>
internal abstract class YamlLiteNode
{
}

/// <summary>A scalar: its text, and whether it was written plain (unquoted: YAML may read it as null, a bool or a number).</summary>
internal sealed class YamlLiteScalar(string value, bool plain) : YamlLiteNode
{
    public string Value { get; } = value;
    public bool Plain { get; } = plain;
}

/// <summary>A mapping, its keys in file order (no key twice).</summary>
internal sealed class YamlLiteMapping : YamlLiteNode
{
    public List<KeyValuePair<string, YamlLiteNode>> Entries { get; } = new();

    public YamlLiteNode? this[string key]
    {
        get
        {
            foreach (var entry in Entries)
            {
                if (entry.Key == key) return entry.Value;
            }
            return null;
        }
    }
}

internal sealed class YamlLiteSequence : YamlLiteNode
{
    public List<YamlLiteNode> Items { get; } = new();
}

/// <summary>
/// Reads the YAML that kubeconfig files are written in (by kubectl, the cloud CLIs, kind, k3s, minikube, RayPS's sandbox): one
/// document of block mappings and block sequences (indented or not), single-line plain, single- and double-quoted scalars, empty
/// <c>{}</c>/<c>[]</c>, comments, CRLF. Anything else — flow collections with content, block scalars (| >),
/// multi-line scalars, anchors, aliases, tags, merge keys, complex keys, directives, several documents, tabs, a byte-order mark
/// inside the text (File.ReadAllText drops a leading one), duplicate keys,
/// and every syntax error — is refused (<see cref="TryParse"/> returns false), and the caller reads the file with YamlDotNet,
/// which then decides, and words any error, exactly as before.
/// </summary>
/// <remarks>
/// It exists for the first cmdlet of a session: YamlDotNet's parser builds two compiled regular expressions (IL emitted at run
/// time) on first use, ~20 ms of a first call (docs/benchmarks.md, 05-FirstCall); a kubeconfig needs none of that. Tests
/// compare its tree with YamlDotNet's on every accepted input, including mutated ones.
/// </remarks>
internal static class KubeConfigYaml
{
    private readonly record struct Line(int Number, int Indent, string Text);

    /// <summary>The document's root, or false when the text is outside the subset described above.</summary>
    public static bool TryParse(string text, out YamlLiteNode? root)
    {
        root = null;
        try
        {
            var lines = Split(text, out var documentStart);
            if (lines is null)
            {
                return false;
            }
            if (lines.Count == 0)
            {
                root = documentStart ? new YamlLiteScalar("", plain: true) : null;
                return true;
            }
            var i = 0;
            var node = ParseBlock(lines, ref i, lines[0].Indent);
            if (node is null || i != lines.Count)
            {
                return false;
            }
            root = node;
            return true;
        }
        catch (NotInSubset)
        {
            root = null;
            return false;
        }
    }

    private sealed class NotInSubset : Exception
    {
    }

    /// <summary>
    /// The lines that carry content (blank and comment-only lines dropped), or null for text outside the subset. A lone
    /// "---" gives an empty document (YamlDotNet's empty plain scalar), which <paramref name="documentStart"/> tells.
    /// </summary>
    private static List<Line>? Split(string text, out bool documentStart)
    {
        documentStart = false;
        foreach (var c in text)
        {
            // Tabs (indentation rules), YAML 1.1's other line breaks, and control characters YamlDotNet refuses.
            if (c == '\t' || c == '\u0085' || c == '\u2028' || c == '\u2029' || (c < ' ' && c != '\n' && c != '\r') || c == '\u007F' || c == '\uFEFF')
            {
                return null;
            }
        }
        var lines = new List<Line>();
        var raw = text.Split('\n');
        for (var n = 0; n < raw.Length; n++)
        {
            var line = raw[n];
            if (line.EndsWith('\r'))
            {
                line = line[..^1];
            }
            if (line.Contains('\r'))
            {
                return null;
            }
            var indent = 0;
            while (indent < line.Length && line[indent] == ' ')
            {
                indent++;
            }
            var content = line[indent..].TrimEnd(' ');
            if (content.Length == 0 || content[0] == '#')
            {
                continue;
            }
            if (indent == 0 && (content.StartsWith("---", StringComparison.Ordinal) || content.StartsWith("...", StringComparison.Ordinal)))
            {
                // One leading "---" (nothing after it but a comment) is allowed; any other document marker is not.
                var after = content[3..];
                if (lines.Count == 0 && !documentStart && content[0] == '-' && (after.Length == 0 || after.TrimStart(' ').StartsWith('#') && after[0] == ' '))
                {
                    documentStart = true;
                    continue;
                }
                return null;
            }
            if (content[0] == '%')
            {
                return null;
            }
            lines.Add(new Line(n + 1, indent, content));
        }
        return lines;
    }

    private static bool IsSequenceItem(string text) => text[0] == '-' && (text.Length == 1 || text[1] == ' ');

    private static YamlLiteNode? ParseBlock(List<Line> lines, ref int i, int indent) =>
        IsSequenceItem(lines[i].Text) ? ParseSequence(lines, ref i, indent) : ParseMapping(lines, ref i, indent);

    private static YamlLiteMapping ParseMapping(List<Line> lines, ref int i, int indent)
    {
        var mapping = new YamlLiteMapping();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (i < lines.Count && lines[i].Indent == indent && !IsSequenceItem(lines[i].Text))
        {
            var text = lines[i].Text;
            if (!TrySplitEntry(text, out var key, out var rest))
            {
                throw new NotInSubset();
            }
            if (!keys.Add(key) || key == "<<")
            {
                throw new NotInSubset();
            }
            i++;
            YamlLiteNode value;
            if (rest.Length == 0)
            {
                if (i < lines.Count && lines[i].Indent > indent)
                {
                    value = ParseBlock(lines, ref i, lines[i].Indent) ?? throw new NotInSubset();
                }
                else if (i < lines.Count && lines[i].Indent == indent && IsSequenceItem(lines[i].Text))
                {
                    value = ParseSequence(lines, ref i, indent);
                }
                else
                {
                    value = new YamlLiteScalar("", plain: true);
                }
            }
            else
            {
                value = ParseInline(rest);
                if (i < lines.Count && lines[i].Indent > indent)
                {
                    // A continuation line: a multi-line scalar, or an error YamlDotNet words.
                    throw new NotInSubset();
                }
            }
            mapping.Entries.Add(new KeyValuePair<string, YamlLiteNode>(key, value));
        }
        if (i < lines.Count && lines[i].Indent > indent)
        {
            throw new NotInSubset();
        }
        return mapping;
    }

    private static YamlLiteSequence ParseSequence(List<Line> lines, ref int i, int indent)
    {
        var sequence = new YamlLiteSequence();
        while (i < lines.Count && lines[i].Indent == indent && IsSequenceItem(lines[i].Text))
        {
            var line = lines[i];
            var skip = 1;
            while (skip < line.Text.Length && line.Text[skip] == ' ')
            {
                skip++;
            }
            var rest = line.Text[skip..];
            if (rest.Length == 0 || rest[0] == '#')
            {
                i++;
                if (i < lines.Count && lines[i].Indent > indent)
                {
                    sequence.Items.Add(ParseBlock(lines, ref i, lines[i].Indent) ?? throw new NotInSubset());
                }
                else
                {
                    sequence.Items.Add(new YamlLiteScalar("", plain: true));
                }
                continue;
            }
            if (IsSequenceItem(rest))
            {
                throw new NotInSubset();
            }
            if (TrySplitEntry(rest, out _, out _))
            {
                // "- key: value": a mapping whose first entry sits on the item's line, its others indented to match.
                lines[i] = new Line(line.Number, indent + skip, rest);
                sequence.Items.Add(ParseMapping(lines, ref i, indent + skip));
                continue;
            }
            i++;
            sequence.Items.Add(ParseInline(rest));
            if (i < lines.Count && lines[i].Indent > indent)
            {
                throw new NotInSubset();
            }
        }
        if (i < lines.Count && lines[i].Indent > indent)
        {
            throw new NotInSubset();
        }
        return sequence;
    }

    /// <summary>Splits "key: value" (value possibly empty, a comment dropped); false when the line is not a mapping entry.</summary>
    private static bool TrySplitEntry(string text, out string key, out string rest)
    {
        key = "";
        rest = "";
        int colon;
        if (text[0] is '"' or '\'')
        {
            var end = QuotedEnd(text);
            if (end < 0)
            {
                return false;
            }
            var after = end + 1;
            while (after < text.Length && text[after] == ' ')
            {
                after++;
            }
            if (after >= text.Length || text[after] != ':' || (after + 1 < text.Length && text[after + 1] != ' '))
            {
                return false;
            }
            key = ((YamlLiteScalar)ParseInline(text[..(end + 1)])).Value;
            colon = after;
        }
        else
        {
            colon = -1;
            for (var k = 0; k < text.Length; k++)
            {
                if (text[k] == '#' && k > 0 && text[k - 1] == ' ')
                {
                    break;
                }
                if (text[k] == ':' && (k + 1 == text.Length || text[k + 1] == ' '))
                {
                    colon = k;
                    break;
                }
            }
            if (colon <= 0)
            {
                return false;
            }
            var plainKey = text[..colon].TrimEnd(' ');
            if (plainKey.Length == 0 || !IsPlainStart(plainKey) || plainKey.Contains(" #", StringComparison.Ordinal))
            {
                throw new NotInSubset();
            }
            key = plainKey;
        }
        rest = text[(colon + 1)..].TrimStart(' ');
        if (rest.StartsWith('#'))
        {
            rest = "";
        }
        return true;
    }

    /// <summary>A value on one line: a quoted or plain scalar, or an empty flow mapping/sequence; anything else is outside the subset.</summary>
    private static YamlLiteNode ParseInline(string text)
    {
        if (text[0] == '"' || text[0] == '\'')
        {
            var end = QuotedEnd(text);
            if (end < 0)
            {
                throw new NotInSubset();
            }
            EnsureOnlyComment(text, end + 1);
            return new YamlLiteScalar(text[0] == '"' ? UnescapeDouble(text[1..end]) : text[1..end].Replace("''", "'"), plain: false);
        }
        if (text.StartsWith("{}", StringComparison.Ordinal) || text.StartsWith("[]", StringComparison.Ordinal))
        {
            EnsureOnlyComment(text, 2);
            return text[0] == '{' ? new YamlLiteMapping() : new YamlLiteSequence();
        }
        if (!IsPlainStart(text))
        {
            throw new NotInSubset();
        }
        var value = text;
        var comment = value.IndexOf(" #", StringComparison.Ordinal);
        if (comment >= 0)
        {
            value = value[..comment];
        }
        value = value.TrimEnd(' ');
        // ": " inside, or a trailing ':', would be a nested mapping YAML refuses here.
        if (value.Contains(": ", StringComparison.Ordinal) || value.EndsWith(':'))
        {
            throw new NotInSubset();
        }
        return new YamlLiteScalar(value, plain: true);
    }

    /// <summary>Whether a plain scalar may start this way (no YAML indicator, which could start something else).</summary>
    private static bool IsPlainStart(string text)
    {
        var c = text[0];
        if ("[]{},#&*!|>'\"%@`".Contains(c))
        {
            return false;
        }
        if (c is '?' or ':')
        {
            return false;
        }
        if (c == '-')
        {
            return text.Length > 1 && text[1] != ' ';
        }
        return true;
    }

    private static void EnsureOnlyComment(string text, int from)
    {
        var rest = text[from..];
        if (rest.Length == 0)
        {
            return;
        }
        if (rest[0] != ' ' || !rest.TrimStart(' ').StartsWith('#') && rest.TrimStart(' ').Length > 0)
        {
            throw new NotInSubset();
        }
    }

    /// <summary>The index of the closing quote of the quoted scalar that starts the text, or -1 when it does not close on this line.</summary>
    private static int QuotedEnd(string text)
    {
        var quote = text[0];
        for (var k = 1; k < text.Length; k++)
        {
            if (quote == '"' && text[k] == '\\')
            {
                k++;
                continue;
            }
            if (text[k] == quote)
            {
                if (quote == '\'' && k + 1 < text.Length && text[k + 1] == '\'')
                {
                    k++;
                    continue;
                }
                return k;
            }
        }
        return -1;
    }

    private static string UnescapeDouble(string body)
    {
        if (!body.Contains('\\'))
        {
            return body;
        }
        var result = new StringBuilder(body.Length);
        for (var k = 0; k < body.Length; k++)
        {
            var c = body[k];
            if (c != '\\')
            {
                result.Append(c);
                continue;
            }
            if (++k >= body.Length)
            {
                throw new NotInSubset();
            }
            switch (body[k])
            {
                case '0': result.Append('\0'); break;
                case 'a': result.Append('\a'); break;
                case 'b': result.Append('\b'); break;
                case 't': result.Append('\t'); break;
                case 'n': result.Append('\n'); break;
                case 'v': result.Append('\v'); break;
                case 'f': result.Append('\f'); break;
                case 'r': result.Append('\r'); break;
                case 'e': result.Append('\x1B'); break;
                case ' ': result.Append(' '); break;
                case '"': result.Append('"'); break;
                case '/': result.Append('/'); break;
                case '\\': result.Append('\\'); break;
                case 'N': result.Append('\u0085'); break;
                case '_': result.Append('\u00A0'); break;
                case 'L': result.Append('\u2028'); break;
                case 'P': result.Append('\u2029'); break;
                case 'x': AppendCodePoint(result, body, ref k, 2); break;
                case 'u': AppendCodePoint(result, body, ref k, 4); break;
                case 'U': AppendCodePoint(result, body, ref k, 8); break;
                default: throw new NotInSubset();
            }
        }
        return result.ToString();
    }

    private static void AppendCodePoint(StringBuilder result, string body, ref int k, int digits)
    {
        if (k + digits >= body.Length)
        {
            throw new NotInSubset();
        }
        var hex = body.Substring(k + 1, digits);
        if (!long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
        {
            throw new NotInSubset();
        }
        // Surrogates and values beyond Unicode: left to YamlDotNet.
        if (code is >= 0xD800 and <= 0xDFFF || code > 0x10FFFF)
        {
            throw new NotInSubset();
        }
        result.Append(char.ConvertFromUtf32((int)code));
        k += digits;
    }
}
