using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Schema;

/// <summary>
/// Evaluates x-kubernetes-validations rules of the few shapes CRDs we serve use — this is not a
/// CEL interpreter: <c>self == oldSelf</c> (a transition rule, checked on update only) and
/// <c>self in [literal, ...]</c>. Rules of any other shape are not enforced.
/// </summary>
public static partial class CelRules
{
    public static void Evaluate(JsonNode? self, JsonNode? oldSelf, StructuralSchema schema, string path, List<FieldError> errs)
    {
        foreach (var rule in schema.Validations)
        {
            Check(rule, self, oldSelf, path, errs);
        }
        switch (self)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (path.Length == 0 && key is "apiVersion" or "kind" or "metadata")
                    {
                        continue;
                    }
                    var child = schema.Child(key);
                    if (child is { HasValidationRules: true } && value is not null)
                    {
                        var old = (oldSelf as JsonObject)?[key];
                        Evaluate(value, old, child, path.Length == 0 ? key : path + "." + key, errs);
                    }
                }
                break;
            case JsonArray arr when schema.ItemsSchema is { HasValidationRules: true } items:
                for (var i = 0; i < arr.Count; i++)
                {
                    var old = CorrelateItem(arr[i], oldSelf as JsonArray, schema);
                    Evaluate(arr[i], old, items, path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", errs);
                }
                break;
        }
    }

    // Transition rules see the old item only for map lists, where items are correlated by key.
    private static JsonNode? CorrelateItem(JsonNode? item, JsonArray? oldList, StructuralSchema listSchema)
    {
        if (oldList is null || listSchema.ListTypeName != "map" || item is not JsonObject obj)
        {
            return null;
        }
        return oldList.OfType<JsonObject>().FirstOrDefault(o =>
            listSchema.ListMapKeys.All(k => JsonNodes.DeepEquals(o[k], obj[k])));
    }

    private static void Check(StructuralSchema.CelRule rule, JsonNode? self, JsonNode? oldSelf, string path, List<FieldError> errs)
    {
        var text = rule.Rule.Trim();
        var message = rule.Message ?? "failed rule: " + text;
        var fieldPath = rule.FieldPath is { Length: > 0 } fp ? path + fp : path;
        if (text == "self == oldSelf")
        {
            if (oldSelf is not null && !JsonNodes.DeepEquals(self, oldSelf))
            {
                errs.Add(FieldError.Invalid(fieldPath, Render(self), message));
            }
            return;
        }
        var inList = InListPattern().Match(text);
        if (inList.Success)
        {
            var allowed = ParseLiterals(inList.Groups[1].Value);
            if (allowed is not null && !allowed.Any(a => JsonNodes.DeepEquals(a, self)))
            {
                errs.Add(FieldError.Invalid(fieldPath, Render(self), message));
            }
        }
    }

    private static JsonNode? Render(JsonNode? value) => value is JsonObject or JsonArray ? JsonValue.Create(value is JsonObject ? "object" : "array") : value;

    private static List<JsonNode?>? ParseLiterals(string list)
    {
        var result = new List<JsonNode?>();
        foreach (Match m in LiteralPattern().Matches(list))
        {
            if (m.Groups["s"].Success)
            {
                result.Add(JsonValue.Create(m.Groups["s"].Value));
            }
            else if (m.Groups["d"].Success)
            {
                result.Add(JsonValue.Create(m.Groups["d"].Value));
            }
            else if (long.TryParse(m.Groups["n"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            {
                result.Add(JsonValue.Create(n));
            }
            else
            {
                return null;
            }
        }
        return result;
    }

    [GeneratedRegex(@"^self\s+in\s+\[(.*)\]$")]
    private static partial Regex InListPattern();

    [GeneratedRegex(@"'(?<s>[^']*)'|""(?<d>[^""]*)""|(?<n>-?\d+)")]
    private static partial Regex LiteralPattern();
}
