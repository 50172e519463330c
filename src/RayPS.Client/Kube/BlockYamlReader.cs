using YamlDotNet.RepresentationModel;

namespace RayPS.Kube;

/// <summary>
/// Reads the plain block YAML that kubectl and the sandbox write (indented mappings and "- " lists of unquoted words,
/// <c>{}</c> and <c>[]</c>) into the same representation tree YamlStream would build, without YamlDotNet's parser: its
/// first use in a process compiles a regular expression (the tag-handle pattern of its default tag directives), which
/// cost ~20 ms of a ~33 ms kubeconfig read in a fresh process.
/// </summary>
/// <remarks>
/// It accepts only what it reads for certain and returns null for anything else (a tab, a carriage return, a character
/// outside printable ASCII, a quote, a block scalar, a comment after a value, a flow collection with items, an anchor, a
/// tag, a document marker, a key that is not a plain word, a duplicate key, a value continued on the next line, an
/// indentation it does not expect): the caller then parses the text with YamlStream, which gives the tree or the error.
/// A test compares both on every kubeconfig row and on generated documents.
/// </remarks>
internal sealed class BlockYamlReader
{
    private sealed class NotSimple : Exception
    {
    }

    private readonly List<(int Indent, string Content)> _lines;
    private int _next;

    private BlockYamlReader(List<(int Indent, string Content)> lines) => _lines = lines;

    /// <summary>The root mapping, or null when the text is not in the subset (YamlStream must read it).</summary>
    public static YamlMappingNode? TryRead(string text)
    {
        var start = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        var lines = new List<(int Indent, string Content)>();
        while (start <= text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0) end = text.Length;
            var indent = 0;
            while (start + indent < end && text[start + indent] == ' ') indent++;
            for (var i = start + indent; i < end; i++)
            {
                if (text[i] is < ' ' or > '~') return null;
            }
            var contentEnd = end;
            while (contentEnd > start + indent && text[contentEnd - 1] == ' ') contentEnd--;
            if (contentEnd > start + indent && text[start + indent] != '#')
            {
                lines.Add((indent, text[(start + indent)..contentEnd]));
            }
            start = end + 1;
        }
        if (lines.Count == 0 || lines[0].Indent != 0) return null;
        var reader = new BlockYamlReader(lines);
        try
        {
            var root = reader.Mapping(0);
            return reader._next == lines.Count ? root : null;
        }
        catch (NotSimple)
        {
            return null;
        }
    }

    private bool More(out int indent, out string content)
    {
        if (_next < _lines.Count)
        {
            (indent, content) = _lines[_next];
            return true;
        }
        (indent, content) = (-1, "");
        return false;
    }

    private static bool IsItem(string content) => content.Length > 0 && content[0] == '-' && (content.Length == 1 || content[1] == ' ');

    private YamlMappingNode Mapping(int indent)
    {
        var mapping = new YamlMappingNode { Style = YamlDotNet.Core.Events.MappingStyle.Block };
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (More(out var lineIndent, out var content) && lineIndent == indent && !IsItem(content))
        {
            var (key, rest) = SplitKey(content);
            if (!keys.Add(key)) throw new NotSimple();
            _next++;
            mapping.Add(new YamlScalarNode(key) { Style = YamlDotNet.Core.ScalarStyle.Plain }, Value(indent, rest));
        }
        // What follows must close this mapping: a line less indented, or the end.
        if (More(out var nextIndent, out _) && nextIndent >= indent) throw new NotSimple();
        return mapping;
    }

    /// <summary>The value of a key at <paramref name="indent"/>: on its line, or the block on the lines after it.</summary>
    private YamlNode Value(int indent, string rest)
    {
        if (rest.Length > 0)
        {
            var value = Inline(rest);
            if (More(out var nextIndent, out _) && nextIndent > indent) throw new NotSimple();
            return value;
        }
        if (More(out var lineIndent, out var content))
        {
            if (lineIndent > indent) return IsItem(content) ? Sequence(lineIndent) : Mapping(lineIndent);
            // A list may sit at its key's own indentation (kubectl writes them so).
            if (lineIndent == indent && IsItem(content)) return Sequence(indent);
        }
        return new YamlScalarNode("") { Style = YamlDotNet.Core.ScalarStyle.Plain };
    }

    private YamlSequenceNode Sequence(int indent)
    {
        var sequence = new YamlSequenceNode { Style = YamlDotNet.Core.Events.SequenceStyle.Block };
        while (More(out var lineIndent, out var content) && lineIndent == indent && IsItem(content))
        {
            if (content.Length == 1) throw new NotSimple();
            var spaces = 1;
            while (content[spaces] == ' ') spaces++;
            var item = content[spaces..];
            var itemIndent = indent + spaces;
            if (IsItem(item)) throw new NotSimple();
            if (IsKeyLine(item))
            {
                // "- key: value": a mapping whose keys line up with this first one.
                _lines[_next] = (itemIndent, item);
                sequence.Add(Mapping(itemIndent));
            }
            else
            {
                _next++;
                sequence.Add(Inline(item));
                if (More(out var nextIndent, out _) && nextIndent > indent) throw new NotSimple();
            }
        }
        if (More(out var afterIndent, out var after) && (afterIndent > indent || (afterIndent == indent && IsItem(after)))) throw new NotSimple();
        return sequence;
    }

    private static bool IsKeyLine(string content)
    {
        var colon = content.IndexOf(':');
        return colon > 0 && (colon == content.Length - 1 || content[colon + 1] == ' ');
    }

    /// <summary>A "key: value" line: the key a plain word (letters, digits, - _ . /, starting with a letter or digit).</summary>
    private static (string Key, string After) SplitKey(string content)
    {
        var colon = content.IndexOf(':');
        if (colon <= 0 || colon > 200 || (colon < content.Length - 1 && content[colon + 1] != ' ')) throw new NotSimple();
        var key = content[..colon];
        if (!char.IsAsciiLetterOrDigit(key[0])) throw new NotSimple();
        foreach (var c in key)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.' or '/')) throw new NotSimple();
        }
        return (key, content[(colon + 1)..].TrimStart(' '));
    }

    /// <summary>A value on the line: an empty flow mapping or list, or a plain scalar that cannot mean anything else.</summary>
    private static YamlNode Inline(string text)
    {
        switch (text)
        {
            case "{}": return new YamlMappingNode { Style = YamlDotNet.Core.Events.MappingStyle.Flow };
            case "[]": return new YamlSequenceNode { Style = YamlDotNet.Core.Events.SequenceStyle.Flow };
        }
        var first = text[0];
        if (!(char.IsAsciiLetterOrDigit(first) || first is '.' or '/' or '=' or '+' or '~' or '_' ||
              (first == '-' && text.Length > 1 && text[1] != ' ')))
        {
            throw new NotSimple();
        }
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var allowed = char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '/' or '=' or '+' or '~' or '@' or '%' or ',' or '\\' or ' ' or ':';
            if (!allowed || (c == ':' && (i == text.Length - 1 || text[i + 1] == ' '))) throw new NotSimple();
        }
        return new YamlScalarNode(text) { Style = YamlDotNet.Core.ScalarStyle.Plain };
    }
}
