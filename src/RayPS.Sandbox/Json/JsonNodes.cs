using System.Globalization;
using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Json;

/// <summary>The JSON shape of a node, distinguishing integers from other numbers like Go's decoder does.</summary>
public enum JsonKind
{
    Null,
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
}

/// <summary>Small helpers over System.Text.Json.Nodes used throughout the sandbox.</summary>
public static class JsonNodes
{
    public static JsonKind KindOf(JsonNode? node) => node switch
    {
        null => JsonKind.Null,
        JsonObject => JsonKind.Object,
        JsonArray => JsonKind.Array,
        JsonValue v when v.TryGetValue<string>(out _) => JsonKind.String,
        JsonValue v when v.TryGetValue<bool>(out _) => JsonKind.Boolean,
        JsonValue v when TryGetInteger(v, out _) => JsonKind.Integer,
        _ => JsonKind.Number,
    };

    public static bool TryGetInteger(JsonNode? node, out long value)
    {
        value = 0;
        if (node is not JsonValue v)
        {
            return false;
        }
        if (v.TryGetValue(out long l)) { value = l; return true; }
        if (v.TryGetValue(out int i)) { value = i; return true; }
        if (v.TryGetValue(out short s)) { value = s; return true; }
        if (v.TryGetValue(out uint ui)) { value = ui; return true; }
        if (v.TryGetValue(out byte b)) { value = b; return true; }
        return false;
    }

    public static bool TryGetDouble(JsonNode? node, out double value)
    {
        value = 0;
        if (node is not JsonValue v)
        {
            return false;
        }
        if (TryGetInteger(v, out var l)) { value = l; return true; }
        if (v.TryGetValue(out double d)) { value = d; return true; }
        if (v.TryGetValue(out float f)) { value = f; return true; }
        if (v.TryGetValue(out decimal m)) { value = (double)m; return true; }
        return false;
    }

    public static string? GetString(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static bool? GetBool(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    public static long? GetInteger(JsonNode? node) => TryGetInteger(node, out var l) ? l : null;

    /// <summary>Walks a path of object keys; returns null when any step is missing or not an object.</summary>
    public static JsonNode? At(JsonNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(key, out node))
            {
                return null;
            }
        }
        return node;
    }

    public static JsonObject? ObjectAt(JsonNode? node, params string[] path) => At(node, path) as JsonObject;

    public static string? StringAt(JsonNode? node, params string[] path) => GetString(At(node, path));

    /// <summary>Returns the object at <paramref name="key"/>, creating it (or replacing a non-object) when needed.</summary>
    public static JsonObject EnsureObject(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject existing)
        {
            return existing;
        }
        var created = new JsonObject();
        parent[key] = created;
        return created;
    }

    public static JsonArray EnsureArray(JsonObject parent, string key)
    {
        if (parent[key] is JsonArray existing)
        {
            return existing;
        }
        var created = new JsonArray();
        parent[key] = created;
        return created;
    }

    public static void SetIfMissing(JsonObject obj, string key, Func<JsonNode?> value)
    {
        if (!obj.ContainsKey(key) || obj[key] is null)
        {
            obj[key] = value();
        }
    }

    public static JsonNode? Clone(JsonNode? node) => node?.DeepClone();

    /// <summary>Semantic equality: object key order is ignored, numbers compare by value.</summary>
    public static bool DeepEquals(JsonNode? a, JsonNode? b)
    {
        var ka = KindOf(a);
        var kb = KindOf(b);
        if (ka is JsonKind.Integer or JsonKind.Number && kb is JsonKind.Integer or JsonKind.Number)
        {
            if (TryGetInteger(a, out var la) && TryGetInteger(b, out var lb))
            {
                return la == lb;
            }
            TryGetDouble(a, out var da);
            TryGetDouble(b, out var db);
            return da.Equals(db);
        }
        if (ka != kb)
        {
            return false;
        }
        switch (ka)
        {
            case JsonKind.Null:
                return true;
            case JsonKind.String:
                return GetString(a) == GetString(b);
            case JsonKind.Boolean:
                return GetBool(a) == GetBool(b);
            case JsonKind.Array:
                var xa = (JsonArray)a!;
                var xb = (JsonArray)b!;
                if (xa.Count != xb.Count)
                {
                    return false;
                }
                for (var i = 0; i < xa.Count; i++)
                {
                    if (!DeepEquals(xa[i], xb[i]))
                    {
                        return false;
                    }
                }
                return true;
            default:
                var oa = (JsonObject)a!;
                var ob = (JsonObject)b!;
                if (oa.Count != ob.Count)
                {
                    return false;
                }
                foreach (var (key, value) in oa)
                {
                    if (!ob.TryGetPropertyValue(key, out var other) || !DeepEquals(value, other))
                    {
                        return false;
                    }
                }
                return true;
        }
    }

    /// <summary>
    /// Recursively sorts object keys ordinally, as Go marshals map[string]interface{}, in place. Objects whose keys are in
    /// order already are left untouched, so sorting a sorted tree allocates nothing.
    /// </summary>
    public static JsonNode? SortKeys(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (!KeysSorted(obj))
                {
                    var entries = obj.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                    obj.Clear();
                    foreach (var (key, value) in entries)
                    {
                        obj[key] = value;
                    }
                }
                foreach (var (_, value) in obj)
                {
                    SortKeys(value);
                }
                return obj;
            case JsonArray arr:
                foreach (var item in arr)
                {
                    SortKeys(item);
                }
                return arr;
            default:
                return node;
        }
    }

    public static bool KeysSorted(JsonObject obj)
    {
        string? previous = null;
        foreach (var (key, _) in obj)
        {
            if (previous is not null && string.CompareOrdinal(previous, key) > 0)
            {
                return false;
            }
            previous = key;
        }
        return true;
    }

    /// <summary>Replaces every item of <paramref name="arr"/>, in place, with what <paramref name="replace"/> makes of it.</summary>
    public static JsonArray ReplaceItems(JsonArray arr, Func<JsonNode?, JsonNode?> replace)
    {
        // An item still in the array has a parent and cannot be added again: take them all out first.
        var items = arr.ToList();
        arr.Clear();
        foreach (var item in items)
        {
            arr.Add(replace(item));
        }
        return arr;
    }

    /// <summary>Moves the listed keys to the front of <paramref name="obj"/> in the given order.</summary>
    public static void OrderKeys(JsonObject obj, IReadOnlyList<string> order)
    {
        if (obj.Count < 2)
        {
            return;
        }
        var entries = obj.ToList();
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < order.Count; i++)
        {
            rank[order[i]] = i;
        }
        var sorted = entries
            .Select((e, i) => (e, r: rank.TryGetValue(e.Key, out var r) ? r : order.Count + i))
            .OrderBy(x => x.r)
            .Select(x => x.e)
            .ToList();
        obj.Clear();
        foreach (var (key, value) in sorted)
        {
            obj[key] = value;
        }
    }

    /// <summary>Detaches a child node so it can be inserted elsewhere.</summary>
    public static JsonNode? Detach(JsonNode? node)
    {
        if (node?.Parent is JsonObject parentObj)
        {
            var key = parentObj.First(p => ReferenceEquals(p.Value, node)).Key;
            parentObj.Remove(key);
        }
        else if (node?.Parent is JsonArray parentArr)
        {
            parentArr.Remove(node);
        }
        return node;
    }

    /// <summary>Renders a scalar the way Go's %v / field errors print it.</summary>
    public static string FormatScalar(JsonNode? node) => KindOf(node) switch
    {
        JsonKind.Null => "null",
        JsonKind.String => Quote(GetString(node)!),
        JsonKind.Boolean => GetBool(node)!.Value ? "true" : "false",
        JsonKind.Integer => GetInteger(node)!.Value.ToString(CultureInfo.InvariantCulture),
        JsonKind.Number => TryGetDouble(node, out var d) ? JsonText.FormatDouble(d) : "0",
        JsonKind.Object => "\"object\"",
        _ => "\"array\"",
    };

    /// <summary>Go's %q quoting for plain strings.</summary>
    public static string Quote(string s)
    {
        var sb = new System.Text.StringBuilder();
        JsonStyle.Quote(sb, s, c => c < 0x20 ? "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) : null);
        return sb.ToString();
    }
}
