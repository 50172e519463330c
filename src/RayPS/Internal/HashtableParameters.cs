using System.Collections;
using System.Collections.Specialized;
using System.Globalization;
using System.Management.Automation;
using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Manifests;

namespace RayPS.Internal;

/// <summary>
/// Turns hashtable parameters (@{...}) into the typed values the client layer takes. Ordered dictionaries
/// ([ordered]@{...}) keep their order; plain hashtables, whose order is arbitrary, are sorted by key so the same
/// command always produces the same manifest.
/// </summary>
internal static class HashtableParameters
{
    public static IEnumerable<KeyValuePair<string, string>> Strings(IDictionary? map)
    {
        if (map is null)
        {
            return Enumerable.Empty<KeyValuePair<string, string>>();
        }
        var entries = map.Cast<DictionaryEntry>().Select(e => new KeyValuePair<string, string>(Text(e.Key), Text(e.Value)));
        return map is IOrderedDictionary ? entries.ToList() : entries.OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
    }

    public static void AddTo(IDictionary? map, IDictionary<string, string> target)
    {
        foreach (var (key, value) in Strings(map))
        {
            target[key] = value;
        }
    }

    /// <summary>Ray resource amounts (@{ascend=20; NPU=1}) as numbers; InvalidRayResource names the parameter otherwise.</summary>
    public static void AddAmounts(string parameter, IDictionary? map, IDictionary<string, decimal> target)
    {
        foreach (DictionaryEntry entry in map ?? new Hashtable())
        {
            var name = Text(entry.Key);
            var raw = entry.Value is PSObject ps ? ps.BaseObject : entry.Value;
            decimal amount;
            try
            {
                amount = raw switch
                {
                    null or bool => throw new FormatException(),
                    string s => decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
                    _ => LanguagePrimitives.ConvertTo<decimal>(raw),
                };
            }
            catch (Exception ex) when (ex is PSInvalidCastException or FormatException or OverflowException)
            {
                throw new RayPSException(ErrorIds.InvalidRayResource, RayErrorCategory.InvalidArgument,
                    $"{parameter}: the amount of Ray resource '{name}' is '{raw}', not a number. Give numbers, e.g. @{{ascend=20}}.", name);
            }
            target[name] = amount;
        }
    }

    /// <summary>A toleration from a string in taint syntax or a hashtable of toleration fields.</summary>
    public static JsonObject Toleration(object item)
    {
        var raw = item is PSObject ps ? ps.BaseObject : item;
        return raw switch
        {
            string text => TolerationText.Parse(text),
            IDictionary map => TolerationText.FromMap(map.Cast<DictionaryEntry>().Select(e => new KeyValuePair<string, string?>(Text(e.Key), e.Value is null ? null : Text(e.Value)))),
            _ => throw new RayPSException(ErrorIds.InvalidToleration, RayErrorCategory.InvalidArgument,
                $"-Toleration takes strings ('key=value:NoSchedule') or hashtables (@{{key='npu'; operator='Exists'}}), not {raw?.GetType().Name ?? "null"}.", raw),
        };
    }

    /// <summary>Hashtable values as Kubernetes strings: numbers in invariant culture, booleans as true/false.</summary>
    public static string Text(object? value) => (value is PSObject ps ? ps.BaseObject : value) switch
    {
        null => string.Empty,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString() ?? string.Empty,
    };
}
