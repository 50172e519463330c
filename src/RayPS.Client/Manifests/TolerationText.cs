using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Errors;

namespace RayPS.Manifests;

/// <summary>
/// Pod tolerations from what people type: kubectl's taint syntax (<c>key=value:Effect</c>, <c>key:Effect</c>,
/// <c>key</c>) or a map with key, operator, value, effect and tolerationSeconds. Checked against the API's rules so a
/// mistake fails before anything is sent.
/// </summary>
public static class TolerationText
{
    private static readonly string[] Effects = { "NoSchedule", "PreferNoSchedule", "NoExecute" };
    private static readonly string[] Fields = { "key", "operator", "value", "effect", "tolerationSeconds" };

    /// <summary>
    /// "key=value:Effect" tolerates that taint (operator Equal); "key:Effect" and "key" tolerate any value (operator
    /// Exists), the latter with any effect; ":Effect" or "*" tolerate every taint (of that effect).
    /// </summary>
    public static JsonObject Parse(string text)
    {
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            throw Invalid(text, "it is empty");
        }
        string? effect = null;
        var body = trimmed;
        var colon = trimmed.LastIndexOf(':');
        if (colon >= 0 && !trimmed[(colon + 1)..].Contains('/'))
        {
            effect = trimmed[(colon + 1)..];
            body = trimmed[..colon];
        }
        var map = new List<KeyValuePair<string, string?>>();
        if (body is "" or "*")
        {
            map.Add(new("operator", "Exists"));
        }
        else if (body.IndexOf('=') is var eq and >= 0)
        {
            map.Add(new("key", body[..eq]));
            map.Add(new("operator", "Equal"));
            map.Add(new("value", body[(eq + 1)..]));
        }
        else
        {
            map.Add(new("key", body));
            map.Add(new("operator", "Exists"));
        }
        if (!string.IsNullOrEmpty(effect))
        {
            map.Add(new("effect", effect));
        }
        return FromMap(map, trimmed);
    }

    /// <summary>A toleration from its fields (names as in the API, case-insensitive).</summary>
    public static JsonObject FromMap(IEnumerable<KeyValuePair<string, string?>> fields, string? shownAs = null)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, text) in fields)
        {
            if (!Fields.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw Invalid(shownAs ?? name, $"'{name}' is not a toleration field (use key, operator, value, effect, tolerationSeconds)");
            }
            values[name] = text;
        }
        var what = shownAs ?? string.Join(", ", values.Select(kv => $"{kv.Key}={kv.Value}"));
        var key = values.GetValueOrDefault("key");
        var value = values.GetValueOrDefault("value");
        var op = values.GetValueOrDefault("operator") ?? (string.IsNullOrEmpty(value) && !string.IsNullOrEmpty(key) ? "Exists" : "Equal");
        op = op.Equals("exists", StringComparison.OrdinalIgnoreCase) ? "Exists" : op.Equals("equal", StringComparison.OrdinalIgnoreCase) ? "Equal" : op;
        if (op is not ("Exists" or "Equal"))
        {
            throw Invalid(what, $"the operator '{op}' is not Equal or Exists");
        }
        if (op == "Exists" && !string.IsNullOrEmpty(value))
        {
            throw Invalid(what, "operator Exists takes no value");
        }
        if (op == "Equal" && string.IsNullOrEmpty(key))
        {
            throw Invalid(what, "operator Equal needs a key");
        }
        var effect = values.GetValueOrDefault("effect");
        if (!string.IsNullOrEmpty(effect))
        {
            effect = Effects.FirstOrDefault(e => e.Equals(effect, StringComparison.OrdinalIgnoreCase))
                ?? throw Invalid(what, $"the effect '{effect}' is not NoSchedule, PreferNoSchedule or NoExecute");
        }

        var toleration = new JsonObject();
        if (!string.IsNullOrEmpty(key))
        {
            toleration["key"] = key;
        }
        toleration["operator"] = op;
        if (op == "Equal")
        {
            toleration["value"] = value ?? "";
        }
        if (!string.IsNullOrEmpty(effect))
        {
            toleration["effect"] = effect;
        }
        if (values.GetValueOrDefault("tolerationSeconds") is { Length: > 0 } seconds)
        {
            if (effect != "NoExecute" || !long.TryParse(seconds, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s))
            {
                throw Invalid(what, "tolerationSeconds is a whole number of seconds and only applies to effect NoExecute");
            }
            toleration["tolerationSeconds"] = s;
        }
        return toleration;
    }

    private static RayPSException Invalid(string? what, string why) =>
        new(ErrorIds.InvalidToleration, RayErrorCategory.InvalidArgument,
            $"-Toleration '{what}' is not a toleration: {why}. Write 'key=value:NoSchedule', 'key:NoSchedule' or 'key', or a hashtable such as @{{key='huawei.com/Ascend910B'; operator='Exists'; effect='NoSchedule'}}.",
            what);
}
