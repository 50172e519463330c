using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Schema;

namespace RayPS.Sandbox.Patch;

/// <summary>
/// The set of field paths an object sets, in structured-merge-diff terms. A path is a sequence of
/// fieldsV1 elements (<c>f:name</c>, <c>k:{"name":"x"}</c>, <c>v:"value"</c>, <c>i:0</c>) joined by
/// <see cref="Separator"/>. Leaves carry their value so owners' values can be compared.
/// </summary>
public sealed class FieldSet
{
    public const char Separator = '\u0001';

    /// <summary>Every path in the set: leaves plus member containers (map keys, list items).</summary>
    public HashSet<string> Paths { get; } = new(StringComparer.Ordinal);

    /// <summary>Leaf paths with their values.</summary>
    public Dictionary<string, JsonNode?> Leaves { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Computes the fields of an object. <paramref name="include"/> filters top-level fields
    /// (apiVersion, kind and server-owned metadata are never tracked).
    /// </summary>
    public static FieldSet Of(JsonObject obj, ITypeInfo type, Func<string, bool> include)
    {
        var set = new FieldSet();
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind" || !include(key))
            {
                continue;
            }
            if (key == "metadata")
            {
                if (value is JsonObject meta)
                {
                    foreach (var tracked in new[] { "labels", "annotations", "finalizers", "ownerReferences" })
                    {
                        if (meta[tracked] is { } child)
                        {
                            set.Walk(child, BuiltinTypeInfo.Root.Field(tracked), "f:metadata" + Separator + "f:" + tracked, member: true);
                        }
                    }
                }
                continue;
            }
            set.Walk(value, type.Field(key), "f:" + key, member: false);
        }
        return set;
    }

    private void Walk(JsonNode? node, ITypeInfo? type, string path, bool member)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0 && type?.IsAtomic != true:
                if (member)
                {
                    Paths.Add(path);
                }
                foreach (var (key, value) in obj)
                {
                    var childType = type?.Field(key);
                    Walk(value, childType, path + Separator + "f:" + key, childType?.IsGranularMap == true);
                }
                break;
            case JsonArray arr when arr.Count > 0 && type?.ListType == ListType.Map && type.MapKeys.Count > 0:
                foreach (var item in arr)
                {
                    if (item is JsonObject itemObj)
                    {
                        Walk(itemObj, type.Items, path + Separator + KeyElement(itemObj, type.MapKeys, type.Items), member: true);
                    }
                }
                break;
            case JsonArray arr when arr.Count > 0 && type?.ListType == ListType.Set:
                foreach (var item in arr)
                {
                    AddLeaf(path + Separator + "v:" + JsonText.Serialize(item), item);
                }
                break;
            default:
                AddLeaf(path, node);
                break;
        }
    }

    private void AddLeaf(string path, JsonNode? value)
    {
        Paths.Add(path);
        Leaves[path] = value;
    }

    public static string KeyElement(JsonObject item, IReadOnlyList<string> keys, ITypeInfo? itemType) =>
        "k:" + JsonText.Serialize(KeyOf(item, keys, itemType));

    /// <summary>The key fields of a list-map item; omitted keys take their schema default (e.g. protocol TCP).</summary>
    public static JsonObject KeyOf(JsonObject item, IReadOnlyList<string> keys, ITypeInfo? itemType)
    {
        var key = new JsonObject();
        foreach (var k in keys.Order(StringComparer.Ordinal))
        {
            if (item.TryGetPropertyValue(k, out var v) && v is not null)
            {
                key[k] = v.DeepClone();
            }
            else if (itemType?.DefaultOf(k) is { } fallback)
            {
                key[k] = fallback.DeepClone();
            }
        }
        return key;
    }

    /// <summary>The structured-merge-diff display form, e.g. <c>.spec.containers[name="x"].image</c>.</summary>
    public static string Display(string path)
    {
        var sb = new StringBuilder();
        foreach (var element in path.Split(Separator))
        {
            var body = element[2..];
            switch (element[0])
            {
                case 'f':
                    sb.Append('.').Append(body);
                    break;
                case 'k':
                    var keyObj = JsonText.Parse(body) as JsonObject ?? new JsonObject();
                    sb.Append('[').Append(string.Join(",", keyObj.Select(p => p.Key + "=" + JsonText.Serialize(p.Value)))).Append(']');
                    break;
                case 'v':
                    sb.Append("[=").Append(body).Append(']');
                    break;
                default:
                    sb.Append('[').Append(body).Append(']');
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Encodes paths as a fieldsV1 object (nested keys, "." marking a member that has children).</summary>
    public static JsonObject ToFieldsV1(IReadOnlyCollection<string> paths)
    {
        var root = new JsonObject();
        var nodes = new List<JsonObject>(paths.Count);
        foreach (var path in paths)
        {
            var node = root;
            foreach (var element in path.Split(Separator))
            {
                node = JsonNodes.EnsureObject(node, element);
            }
            nodes.Add(node);
        }
        foreach (var node in nodes)
        {
            if (node.Count > 0 && !node.ContainsKey("."))
            {
                node["."] = new JsonObject();
            }
        }
        return (JsonObject)JsonNodes.SortKeys(root)!;
    }

    /// <summary>Decodes a fieldsV1 object back to paths.</summary>
    public static HashSet<string> FromFieldsV1(JsonObject? fields)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (fields is not null)
        {
            Decode(fields, "", result);
        }
        return result;
    }

    private static void Decode(JsonObject node, string prefix, HashSet<string> result)
    {
        foreach (var (key, value) in node)
        {
            if (key == ".")
            {
                if (prefix.Length > 0)
                {
                    result.Add(prefix);
                }
                continue;
            }
            var path = prefix.Length == 0 ? key : prefix + Separator + key;
            if (value is JsonObject { Count: > 0 } child)
            {
                Decode(child, path, result);
            }
            else
            {
                result.Add(path);
            }
        }
    }

    /// <summary>Finds the value at a path; false when the object does not contain it.</summary>
    public static bool TryGet(JsonNode? root, string path, out JsonNode? value)
    {
        value = root;
        foreach (var element in path.Split(Separator))
        {
            var body = element[2..];
            switch (element[0])
            {
                case 'f' when value is JsonObject obj && obj.TryGetPropertyValue(body, out var child):
                    value = child;
                    break;
                case 'k' when value is JsonArray arr:
                    var key = JsonText.Parse(body) as JsonObject ?? new JsonObject();
                    value = arr.OfType<JsonObject>().FirstOrDefault(i => key.All(k => JsonNodes.DeepEquals(i[k.Key], k.Value)));
                    if (value is null)
                    {
                        return false;
                    }
                    break;
                case 'v' when value is JsonArray set:
                    var wanted = JsonText.Parse(body);
                    value = set.FirstOrDefault(i => JsonNodes.DeepEquals(i, wanted));
                    if (!set.Any(i => JsonNodes.DeepEquals(i, wanted)))
                    {
                        return false;
                    }
                    break;
                case 'i' when value is JsonArray list && int.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < list.Count:
                    value = list[index];
                    break;
                default:
                    value = null;
                    return false;
            }
        }
        return true;
    }

    /// <summary>Removes the field, list item or set value at a path, if present.</summary>
    public static void Remove(JsonNode? root, string path)
    {
        var elements = path.Split(Separator);
        var parentPath = string.Join(Separator, elements[..^1]);
        JsonNode? parent = root;
        if (elements.Length > 1 && !TryGet(root, parentPath, out parent))
        {
            return;
        }
        var last = elements[^1];
        var body = last[2..];
        switch (last[0])
        {
            case 'f' when parent is JsonObject obj:
                obj.Remove(body);
                break;
            case 'k' or 'v' or 'i' when parent is JsonArray arr:
                if (TryGet(arr, last, out var item))
                {
                    arr.Remove(item);
                }
                break;
        }
    }
}
