using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Store;

/// <summary>
/// A parsed label selector with the grammar and error messages of k8s.io/apimachinery/pkg/labels
/// (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x)</c>, <c>a</c>, <c>!a</c>, <c>a&gt;1</c>, <c>a&lt;1</c>).
/// </summary>
public sealed class LabelSelector
{
    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public enum Operator { Equals, NotEquals, In, NotIn, Exists, DoesNotExist, GreaterThan, LessThan }

    public sealed record Requirement(string Key, Operator Op, IReadOnlyList<string> Values);

    public IReadOnlyList<Requirement> Requirements => _requirements;

    /// <summary>Parses the query-string form; throws <see cref="FormatException"/> with the apiserver's message.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }
        return new LabelSelector(new Parser(text).ParseAll());
    }

    /// <summary>Builds a selector from a metav1.LabelSelector object (matchLabels + matchExpressions).</summary>
    public static LabelSelector FromObject(JsonObject? selector)
    {
        var reqs = new List<Requirement>();
        if (selector is null)
        {
            return new LabelSelector(reqs);
        }
        foreach (var (key, value) in ObjectMeta.ToStringMap(selector["matchLabels"] as JsonObject).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            reqs.Add(new Requirement(key, Operator.Equals, [value]));
        }
        if (selector["matchExpressions"] is JsonArray exprs)
        {
            foreach (var expr in exprs.OfType<JsonObject>())
            {
                var key = JsonNodes.GetString(expr["key"]) ?? "";
                var values = (expr["values"] as JsonArray)?.Select(v => JsonNodes.GetString(v) ?? "").ToList() ?? [];
                var op = JsonNodes.GetString(expr["operator"]) switch
                {
                    "In" => Operator.In,
                    "NotIn" => Operator.NotIn,
                    "Exists" => Operator.Exists,
                    "DoesNotExist" => Operator.DoesNotExist,
                    var other => throw new FormatException($"{JsonNodes.Quote(other ?? "")} is not a valid label selector operator"),
                };
                reqs.Add(new Requirement(key, op, values));
            }
        }
        return new LabelSelector(reqs);
    }

    /// <summary>Builds an equality selector from a plain map (e.g. a Service's spec.selector).</summary>
    public static LabelSelector FromMap(IReadOnlyDictionary<string, string> map) =>
        new(map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new Requirement(p.Key, Operator.Equals, [p.Value])).ToList());

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var r in _requirements)
        {
            var has = labels.TryGetValue(r.Key, out var value);
            var ok = r.Op switch
            {
                Operator.Equals or Operator.In => has && r.Values.Contains(value!),
                Operator.NotEquals or Operator.NotIn => !has || !r.Values.Contains(value!),
                Operator.Exists => has,
                Operator.DoesNotExist => !has,
                Operator.GreaterThan => has && long.TryParse(value, out var gv) && gv > long.Parse(r.Values[0], CultureInfo.InvariantCulture),
                Operator.LessThan => has && long.TryParse(value, out var lv) && lv < long.Parse(r.Values[0], CultureInfo.InvariantCulture),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The canonical string form (Deployment Scale status.selector uses it).</summary>
    public override string ToString() => string.Join(",", _requirements.Select(r => r.Op switch
    {
        Operator.Equals => r.Key + "=" + r.Values[0],
        Operator.NotEquals => r.Key + "!=" + r.Values[0],
        Operator.In => r.Key + " in (" + string.Join(",", r.Values) + ")",
        Operator.NotIn => r.Key + " notin (" + string.Join(",", r.Values) + ")",
        Operator.Exists => r.Key,
        Operator.DoesNotExist => "!" + r.Key,
        Operator.GreaterThan => r.Key + ">" + r.Values[0],
        _ => r.Key + "<" + r.Values[0],
    }));

    private enum Token { Error, EndOfString, ClosedPar, Comma, DoesNotExist, DoubleEquals, Equals, GreaterThan, Identifier, In, LessThan, NotEquals, NotIn, OpenPar }

    private sealed class Parser
    {
        private readonly List<(Token Tok, string Lit)> _items = [];
        private int _pos;

        public Parser(string text) => Scan(text);

        private void Scan(string s)
        {
            var i = 0;
            while (true)
            {
                while (i < s.Length && s[i] is ' ' or '\t' or '\r' or '\n')
                {
                    i++;
                }
                if (i >= s.Length)
                {
                    _items.Add((Token.EndOfString, ""));
                    return;
                }
                if (IsSpecial(s[i]))
                {
                    var start = i;
                    while (i < s.Length && IsSpecial(s[i]) && SymbolToken(s[start..(i + 1)]) != Token.Error)
                    {
                        i++;
                    }
                    if (i == start)
                    {
                        i++;
                        _items.Add((Token.Error, s[start..i]));
                        continue;
                    }
                    var lit = s[start..i];
                    _items.Add((SymbolToken(lit), lit));
                }
                else
                {
                    var start = i;
                    while (i < s.Length && !IsSpecial(s[i]) && s[i] is not (' ' or '\t' or '\r' or '\n'))
                    {
                        i++;
                    }
                    var lit = s[start..i];
                    _items.Add((lit switch { "in" => Token.In, "notin" => Token.NotIn, _ => Token.Identifier }, lit));
                }
            }
        }

        private static bool IsSpecial(char c) => c is '=' or '!' or '(' or ')' or ',' or '>' or '<';

        private static Token SymbolToken(string s) => s switch
        {
            ")" => Token.ClosedPar,
            "," => Token.Comma,
            "!" => Token.DoesNotExist,
            "==" => Token.DoubleEquals,
            "=" => Token.Equals,
            ">" => Token.GreaterThan,
            "<" => Token.LessThan,
            "!=" => Token.NotEquals,
            "(" => Token.OpenPar,
            _ => Token.Error,
        };

        // In the "values" context the keywords in/notin are plain identifiers.
        private (Token Tok, string Lit) Lookahead(bool values)
        {
            var item = _items[Math.Min(_pos, _items.Count - 1)];
            return values && item.Tok is Token.In or Token.NotIn ? (Token.Identifier, item.Lit) : item;
        }

        private (Token Tok, string Lit) Consume(bool values)
        {
            var item = Lookahead(values);
            if (_pos < _items.Count - 1)
            {
                _pos++;
            }
            return item;
        }

        public List<Requirement> ParseAll()
        {
            var result = new List<Requirement>();
            while (true)
            {
                var (tok, lit) = Lookahead(true);
                switch (tok)
                {
                    case Token.Identifier or Token.DoesNotExist:
                        Requirement r;
                        try
                        {
                            r = ParseRequirement();
                        }
                        catch (FormatException ex)
                        {
                            throw new FormatException("unable to parse requirement: " + ex.Message);
                        }
                        result.Add(r);
                        var (t, l) = Consume(true);
                        switch (t)
                        {
                            case Token.EndOfString:
                                return result;
                            case Token.Comma:
                                var (t2, l2) = Lookahead(true);
                                if (t2 is not (Token.Identifier or Token.DoesNotExist))
                                {
                                    throw new FormatException($"found '{l2}', expected: identifier after ','");
                                }
                                break;
                            default:
                                throw new FormatException($"found '{l}', expected: ',' or 'end of string'");
                        }
                        break;
                    case Token.EndOfString:
                        return result;
                    default:
                        throw new FormatException($"found '{lit}', expected: !, identifier, or 'end of string'");
                }
            }
        }

        private Requirement ParseRequirement()
        {
            Operator? op = null;
            var (tok, lit) = Consume(true);
            if (tok == Token.DoesNotExist)
            {
                op = Operator.DoesNotExist;
                (tok, lit) = Consume(true);
            }
            if (tok != Token.Identifier)
            {
                throw new FormatException($"found '{lit}', expected: identifier");
            }
            var key = lit;
            var keyErrors = NameValidation.QualifiedName(key);
            if (keyErrors is not null)
            {
                throw new FormatException($"key: Invalid value: {JsonNodes.Quote(key)}: {keyErrors}");
            }
            var next = Lookahead(true).Tok;
            if (next is Token.EndOfString or Token.Comma)
            {
                return new Requirement(key, op ?? Operator.Exists, []);
            }
            if (op == Operator.DoesNotExist)
            {
                throw new FormatException($"found '{Lookahead(true).Lit}', expected: ',' or 'end of string'");
            }
            var (opTok, opLit) = Consume(false);
            var binary = opTok switch
            {
                Token.In => Operator.In,
                Token.Equals or Token.DoubleEquals => Operator.Equals,
                Token.GreaterThan => Operator.GreaterThan,
                Token.LessThan => Operator.LessThan,
                Token.NotIn => Operator.NotIn,
                Token.NotEquals => Operator.NotEquals,
                _ => throw new FormatException($"found '{opLit}', expected: in, notin, =, ==, !=, gt, lt"),
            };
            var values = binary is Operator.In or Operator.NotIn ? ParseValues() : ParseExactValue();
            foreach (var v in values)
            {
                var err = NameValidation.LabelValue(v);
                if (err is not null)
                {
                    throw new FormatException($"values[0][{key}]: Invalid value: {JsonNodes.Quote(v)}: {err}");
                }
            }
            if (binary is Operator.GreaterThan or Operator.LessThan &&
                !long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                throw new FormatException($"values[0]: Invalid value: {JsonNodes.Quote(values[0])}: for 'Gt', 'Lt' operators, the value must be an integer");
            }
            return new Requirement(key, binary, values);
        }

        private List<string> ParseValues()
        {
            var (tok, lit) = Consume(true);
            if (tok != Token.OpenPar)
            {
                throw new FormatException($"found '{lit}' expected: '('");
            }
            (tok, lit) = Lookahead(true);
            switch (tok)
            {
                case Token.Identifier or Token.Comma:
                    var set = ParseIdentifiers();
                    var (closeTok, _) = Consume(true);
                    if (closeTok != Token.ClosedPar)
                    {
                        throw new FormatException($"found '{lit}', expected: ')'");
                    }
                    return set.Order(StringComparer.Ordinal).ToList();
                case Token.ClosedPar:
                    Consume(true);
                    return [""];
                default:
                    throw new FormatException($"found '{lit}', expected: ',', ')' or identifier");
            }
        }

        private SortedSet<string> ParseIdentifiers()
        {
            var set = new SortedSet<string>(StringComparer.Ordinal);
            while (true)
            {
                var (tok, lit) = Consume(true);
                switch (tok)
                {
                    case Token.Identifier:
                        set.Add(lit);
                        var (t2, l2) = Lookahead(true);
                        if (t2 == Token.Comma)
                        {
                            continue;
                        }
                        if (t2 == Token.ClosedPar)
                        {
                            return set;
                        }
                        throw new FormatException($"found '{l2}', expected: ',' or ')'");
                    case Token.Comma:
                        if (set.Count == 0)
                        {
                            set.Add("");
                        }
                        var next = Lookahead(true).Tok;
                        if (next == Token.ClosedPar)
                        {
                            set.Add("");
                            return set;
                        }
                        if (next == Token.Comma)
                        {
                            Consume(true);
                            set.Add("");
                        }
                        break;
                    default:
                        throw new FormatException($"found '{lit}', expected: ',', or identifier");
                }
            }
        }

        private List<string> ParseExactValue()
        {
            var tok = Lookahead(true).Tok;
            if (tok is Token.EndOfString or Token.Comma)
            {
                return [""];
            }
            var (t, lit) = Consume(true);
            if (t == Token.Identifier)
            {
                return [lit];
            }
            throw new FormatException($"found '{lit}', expected: identifier");
        }
    }
}
