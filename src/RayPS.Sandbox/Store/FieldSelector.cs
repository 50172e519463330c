using System.Text;

namespace RayPS.Sandbox.Store;

/// <summary>A parsed field selector (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c> joined by commas), as in k8s.io/apimachinery/pkg/fields.</summary>
public sealed class FieldSelector
{
    public sealed record Term(string Field, bool Equal, string Value);

    private FieldSelector(IReadOnlyList<Term> terms) => Terms = terms;

    public IReadOnlyList<Term> Terms { get; }

    public static FieldSelector Everything { get; } = new([]);

    public bool IsEmpty => Terms.Count == 0;

    /// <summary>Parses the query-string form; throws <see cref="FormatException"/> with the apiserver's message.</summary>
    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Everything;
        }
        var terms = new List<Term>();
        foreach (var part in SplitTerms(text))
        {
            if (part.Length == 0)
            {
                continue;
            }
            if (TrySplit(part, "!=", out var l, out var r))
            {
                terms.Add(new Term(l, false, r));
            }
            else if (TrySplit(part, "==", out l, out r) || TrySplit(part, "=", out l, out r))
            {
                terms.Add(new Term(l, true, r));
            }
            else
            {
                throw new FormatException($"invalid selector: '{text}'; can't understand '{part}'");
            }
        }
        return new FieldSelector(terms);
    }

    public static FieldSelector ForName(string name) => new([new Term("metadata.name", true, name)]);

    /// <summary>Matches against the object's field set (as produced by a resource's field-label function).</summary>
    public bool Matches(IReadOnlyDictionary<string, string> fields)
    {
        foreach (var t in Terms)
        {
            fields.TryGetValue(t.Field, out var value);
            value ??= "";
            if (t.Equal != (value == t.Value))
            {
                return false;
            }
        }
        return true;
    }

    // Commas and operators may be escaped with a backslash.
    private static IEnumerable<string> SplitTerms(string text)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                sb.Append(c).Append(text[++i]);
            }
            else if (c == ',')
            {
                yield return sb.ToString();
                sb.Clear();
            }
            else
            {
                sb.Append(c);
            }
        }
        yield return sb.ToString();
    }

    private static bool TrySplit(string term, string op, out string left, out string right)
    {
        for (var i = 0; i + op.Length <= term.Length; i++)
        {
            if (term[i] == '\\')
            {
                i++;
                continue;
            }
            if (string.CompareOrdinal(term, i, op, 0, op.Length) == 0)
            {
                left = Unescape(term[..i]);
                right = Unescape(term[(i + op.Length)..]);
                return true;
            }
        }
        left = right = "";
        return false;
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\', StringComparison.Ordinal))
        {
            return s;
        }
        var sb = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length)
            {
                i++;
            }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }
}
