using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace RayPS.Manifests;

/// <summary>
/// YAML to JSON nodes with the scalar rules kubectl and Helm use (sigs.k8s.io/yaml over go-yaml v2, YAML 1.1:
/// yes/no/on/off are booleans, 0777 is octal), anchors, aliases and merge keys. Every syntax error, duplicate key
/// or unsupported construct becomes InvalidYaml naming the source, line and column.
/// </summary>
public static partial class YamlJson
{
    private const string MergeKey = "<<";

    private static readonly HashSet<string> Nulls = new(StringComparer.Ordinal) { "", "~", "null", "Null", "NULL" };
    private static readonly HashSet<string> Trues = new(StringComparer.Ordinal) { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON" };
    private static readonly HashSet<string> Falses = new(StringComparer.Ordinal) { "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF" };

    [GeneratedRegex("^[-+]?(0|[1-9][0-9]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalInt();

    [GeneratedRegex("^[-+]?0[0-7]+$", RegexOptions.CultureInvariant)]
    private static partial Regex OctalInt();

    [GeneratedRegex("^[-+]?0x[0-9a-fA-F]+$", RegexOptions.CultureInvariant)]
    private static partial Regex HexInt();

    [GeneratedRegex("^[-+]?0b[01]+$", RegexOptions.CultureInvariant)]
    private static partial Regex BinaryInt();

    [GeneratedRegex("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Float();

    [GeneratedRegex("^[-+]?\\.(inf|Inf|INF)$|^\\.(nan|NaN|NAN)$", RegexOptions.CultureInvariant)]
    private static partial Regex NonFinite();

    /// <summary>Parses every document of <paramref name="text"/> (empty documents are skipped).</summary>
    public static IReadOnlyList<JsonNode?> ParseDocuments(string text, string source)
    {
        var state = new ParseState(new Parser(new StringReader(text)), source);
        var parser = state.Parser;
        var documents = new List<JsonNode?>();
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                state.Anchors.Clear();
                var isEmpty = parser.Accept<Scalar>(out var first) && first.IsPlainImplicit && first.Value.Length == 0;
                var node = ReadNode(state);
                parser.Consume<DocumentEnd>();
                if (!isEmpty)
                {
                    documents.Add(node);
                }
            }
            parser.Consume<StreamEnd>();
        }
        catch (YamlException ex) when (state.OpenFlows.Count > 0 && ex.Message.Contains("flow", StringComparison.Ordinal))
        {
            // The parser only notices an unclosed [ or { where the input ends; point at the bracket instead.
            var (mark, opening) = state.OpenFlows.Peek();
            var closing = opening == '[' ? ']' : '}';
            throw Error(source, mark, $"the '{opening}' here is never closed (no matching '{closing}' before line {ex.Start.Line})");
        }
        catch (YamlException ex)
        {
            throw Error(source, ex.Start, Reason(ex));
        }
        catch (InvalidOperationException) when (state.OpenFlows.Count > 0)
        {
            // YamlDotNet's scanner can fail this way on an unclosed flow collection; the bracket is the cause.
            var (mark, opening) = state.OpenFlows.Peek();
            throw Error(source, mark, $"the '{opening}' here is never closed (no matching '{(opening == '[' ? ']' : '}')}')");
        }
        return documents;
    }

    private sealed class ParseState
    {
        public ParseState(IParser parser, string source)
        {
            Parser = parser;
            Source = source;
        }

        public IParser Parser { get; }
        public string Source { get; }
        public Dictionary<string, JsonNode?> Anchors { get; } = new(StringComparer.Ordinal);
        public Stack<(Mark Mark, char Opening)> OpenFlows { get; } = new();
    }

    /// <summary>
    /// How a plain (unquoted) scalar resolves: null, bool, long, double or string. Writers use this to decide
    /// when a string must be quoted to stay a string.
    /// </summary>
    public static JsonNode? ResolvePlain(string text)
    {
        if (Nulls.Contains(text))
        {
            return null;
        }
        if (Trues.Contains(text))
        {
            return JsonValue.Create(true);
        }
        if (Falses.Contains(text))
        {
            return JsonValue.Create(false);
        }

        var digits = text.Contains('_') ? text.Replace("_", string.Empty, StringComparison.Ordinal) : text;
        if (DecimalInt().IsMatch(digits) && long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }
        if (OctalInt().IsMatch(digits) || HexInt().IsMatch(digits) || BinaryInt().IsMatch(digits))
        {
            var negative = digits[0] == '-';
            var body = digits.TrimStart('-', '+');
            var (radix, start) = body.StartsWith("0x", StringComparison.Ordinal) ? (16, 2) : body.StartsWith("0b", StringComparison.Ordinal) ? (2, 2) : (8, 1);
            try
            {
                var value = Convert.ToInt64(body[start..], radix);
                return JsonValue.Create(negative ? -value : value);
            }
            catch (OverflowException)
            {
                return JsonValue.Create(text);
            }
        }
        if (Float().IsMatch(digits) && double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            return d == Math.Floor(d) && Math.Abs(d) < 1e15 ? JsonValue.Create((long)d) : JsonValue.Create(d);
        }
        return JsonValue.Create(text);
    }

    /// <summary>True when a plain scalar with this text would read back as something other than this string.</summary>
    public static bool NeedsQuotes(string text) =>
        ResolvePlain(text) is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.String || NonFinite().IsMatch(text);

    private static JsonNode? ReadNode(ParseState state)
    {
        var parser = state.Parser;
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!state.Anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw Error(state.Source, alias.Start, $"the alias *{alias.Value.Value} refers to no anchor defined before it");
            }
            return target?.DeepClone();
        }

        if (parser.TryConsume<Scalar>(out var scalar))
        {
            var value = ResolveScalar(scalar, state.Source);
            Remember(state, scalar.Anchor, value);
            return value;
        }

        if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            var flow = sequenceStart.Style == SequenceStyle.Flow;
            if (flow)
            {
                state.OpenFlows.Push((sequenceStart.Start, '['));
            }
            var array = new JsonArray();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                array.Add(ReadNode(state));
            }
            if (flow)
            {
                state.OpenFlows.Pop();
            }
            Remember(state, sequenceStart.Anchor, array);
            return array;
        }

        if (parser.TryConsume<MappingStart>(out var mappingStart))
        {
            var flow = mappingStart.Style == MappingStyle.Flow;
            if (flow)
            {
                state.OpenFlows.Push((mappingStart.Start, '{'));
            }
            var obj = ReadMapping(state);
            if (flow)
            {
                state.OpenFlows.Pop();
            }
            Remember(state, mappingStart.Anchor, obj);
            return obj;
        }

        var unexpected = parser.Current;
        throw Error(state.Source, unexpected?.Start ?? Mark.Empty, $"unexpected {unexpected?.GetType().Name ?? "end of input"}");
    }

    private static JsonObject ReadMapping(ParseState state)
    {
        var parser = state.Parser;
        var source = state.Source;
        var explicitKeys = new JsonObject();
        var keyLines = new Dictionary<string, long>(StringComparer.Ordinal);
        var merged = new List<JsonObject>();
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            if (!parser.TryConsume<Scalar>(out var key))
            {
                throw Error(source, parser.Current?.Start ?? Mark.Empty, "a mapping key must be a plain value, not a list or a mapping");
            }

            if (key.Value == MergeKey && key.IsPlainImplicit)
            {
                var valueStart = parser.Current?.Start ?? key.Start;
                switch (ReadNode(state))
                {
                    case JsonObject one:
                        merged.Add(one);
                        break;
                    case JsonArray many when many.All(m => m is JsonObject):
                        merged.AddRange(many.Cast<JsonObject>());
                        break;
                    default:
                        throw Error(source, valueStart, "the merge key << needs a mapping or a list of mappings");
                }
                continue;
            }

            if (keyLines.TryGetValue(key.Value, out var firstLine))
            {
                throw Error(source, key.Start, $"the key '{key.Value}' is already defined on line {firstLine}");
            }
            keyLines[key.Value] = key.Start.Line;
            explicitKeys[key.Value] = ReadNode(state);
        }

        if (merged.Count == 0)
        {
            return explicitKeys;
        }

        // Merge keys: the mapping's own keys win, then earlier merged mappings over later ones.
        var result = new JsonObject();
        foreach (var mergedMap in merged)
        {
            foreach (var (name, value) in mergedMap)
            {
                if (!result.ContainsKey(name))
                {
                    result[name] = value?.DeepClone();
                }
            }
        }
        foreach (var (name, value) in explicitKeys.ToList())
        {
            explicitKeys.Remove(name);
            result[name] = value;
        }
        return result;
    }

    private static JsonNode? ResolveScalar(Scalar scalar, string source)
    {
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        switch (tag)
        {
            case "tag:yaml.org,2002:str" or "tag:yaml.org,2002:binary":
                return JsonValue.Create(scalar.Value);
            case "tag:yaml.org,2002:null":
                return null;
            case "tag:yaml.org,2002:bool" or "tag:yaml.org,2002:int" or "tag:yaml.org,2002:float":
                var typed = ResolvePlain(scalar.Value);
                var expected = tag.EndsWith("bool", StringComparison.Ordinal) ? "a boolean" : "a number";
                if (typed is not JsonValue tv || tv.GetValueKind() == System.Text.Json.JsonValueKind.String)
                {
                    throw Error(source, scalar.Start, $"'{scalar.Value}' is tagged {tag.Split(':')[^1]} but is not {expected}");
                }
                return typed;
        }

        if (scalar.Style is ScalarStyle.Plain)
        {
            if (NonFinite().IsMatch(scalar.Value))
            {
                throw Error(source, scalar.Start, $"'{scalar.Value}' is not a finite number and cannot be represented in JSON; quote it to make it a string");
            }
            return ResolvePlain(scalar.Value);
        }
        return JsonValue.Create(scalar.Value);
    }

    private static void Remember(ParseState state, AnchorName anchor, JsonNode? value)
    {
        if (!anchor.IsEmpty)
        {
            state.Anchors[anchor.Value] = value?.DeepClone();
        }
    }

    internal static string Reason(YamlException ex)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): "; the position is reported separately.
        var message = ex.Message;
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        return (cut >= 0 ? message[(cut + 3)..] : message).Trim().TrimEnd('.');
    }

    internal static RayPSException Error(string source, Mark mark, string reason) =>
        new(ErrorIds.InvalidYaml, RayErrorCategory.InvalidData,
            $"{source}: line {mark.Line}, column {mark.Column}: {reason}. Fix the file and run the command again.",
            source);
}
