using System.Globalization;

namespace RayPS.Sandbox.Tests.Golden;

/// <summary>
/// The JSONPath subset the golden transcripts use: <c>$</c>, <c>.name</c>, <c>['name']</c>, <c>[0]</c>,
/// <c>[*]</c> and filters <c>[?(@.a.b=='value')]</c>. A path with a wildcard or filter yields a
/// list of nodes; otherwise the single node (or nothing).
/// </summary>
public static class JsonPathLite
{
    /// <summary>Evaluates a path: the selected value, a JsonArray of matches for multi-selecting paths, or null with found=false.</summary>
    public static JsonNode? Select(JsonNode? root, string path, out bool found)
    {
        var nodes = new List<JsonNode?> { root };
        var multi = false;
        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var start = ++i;
                while (i < path.Length && path[i] is not ('.' or '['))
                {
                    i++;
                }
                var name = path[start..i];
                nodes = name == "*" ? Wildcard(nodes, ref multi) : Child(nodes, name);
            }
            else if (path[i] == '[')
            {
                var close = FindClose(path, i);
                var inner = path[(i + 1)..close].Trim();
                i = close + 1;
                if (inner == "*")
                {
                    nodes = Wildcard(nodes, ref multi);
                }
                else if (inner.StartsWith("?(", StringComparison.Ordinal))
                {
                    multi = true;
                    nodes = Filter(nodes, inner[2..^1]);
                }
                else if (inner.StartsWith('\'') || inner.StartsWith('"'))
                {
                    nodes = Child(nodes, inner[1..^1]);
                }
                else
                {
                    var index = int.Parse(inner, CultureInfo.InvariantCulture);
                    nodes = nodes.Select(n => n is JsonArray a && index < a.Count ? (true, a[index]) : (false, null))
                        .Where(x => x.Item1).Select(x => x.Item2).ToList();
                }
            }
            else
            {
                throw new FormatException("unsupported JSONPath: " + path);
            }
        }
        if (multi)
        {
            found = true;
            return new JsonArray(nodes.Select(n => n?.DeepClone()).ToArray());
        }
        found = nodes.Count > 0;
        return found ? nodes[0]?.DeepClone() : null;
    }

    private static int FindClose(string path, int open)
    {
        var depth = 0;
        var quote = '\0';
        for (var i = open; i < path.Length; i++)
        {
            var c = path[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                continue;
            }
            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    break;
                case '[':
                    depth++;
                    break;
                case ']' when --depth == 0:
                    return i;
            }
        }
        throw new FormatException("unbalanced brackets in JSONPath: " + path);
    }

    private static List<JsonNode?> Child(List<JsonNode?> nodes, string name) =>
        nodes.Where(n => n is JsonObject o && o.ContainsKey(name)).Select(n => ((JsonObject)n!)[name]).ToList();

    private static List<JsonNode?> Wildcard(List<JsonNode?> nodes, ref bool multi)
    {
        multi = true;
        return nodes.SelectMany(n => n switch
        {
            JsonArray a => a.ToList(),
            JsonObject o => o.Select(p => p.Value).ToList(),
            _ => [],
        }).ToList();
    }

    // Supports "@.a.b==<literal>" (string, number, true/false/null) and "@.a" (existence).
    private static List<JsonNode?> Filter(List<JsonNode?> nodes, string expression)
    {
        var candidates = nodes.SelectMany(n => n switch
        {
            JsonArray a => a.ToList(),
            JsonObject o => o.Select(p => p.Value).ToList(),
            _ => [],
        });
        var eq = expression.IndexOf("==", StringComparison.Ordinal);
        var left = (eq < 0 ? expression : expression[..eq]).Trim();
        if (!left.StartsWith('@'))
        {
            throw new FormatException("unsupported filter: " + expression);
        }
        JsonNode? literal = null;
        if (eq >= 0)
        {
            var right = expression[(eq + 2)..].Trim();
            literal = right.StartsWith('\'') ? JsonValue.Create(right[1..^1]) : JsonText.Parse(right);
        }
        return candidates.Where(c =>
        {
            var value = Select(c, "$" + left[1..], out var has);
            return eq < 0 ? has : has && JsonNodes.DeepEquals(value, literal);
        }).ToList();
    }
}
