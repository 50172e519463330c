using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Schema;

namespace RayPS.Sandbox.Patch;

/// <summary>
/// Strategic merge patch for built-in types: lists with a patch merge key (containers, env, ports,
/// volumes, ...) merge item by item, other lists are replaced; supports the <c>$patch</c>
/// (replace/delete/merge), <c>$retainKeys</c>, <c>$deleteFromPrimitiveList/</c> and
/// <c>$setElementOrder/</c> directives.
/// </summary>
public static class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeys = "$retainKeys";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";
    private const string SetElementOrder = "$setElementOrder/";

    public static JsonObject Apply(JsonObject original, JsonObject patch, ITypeInfo type)
    {
        var result = (JsonObject)original.DeepClone();
        return MergeMap(result, patch, type) ?? new JsonObject();
    }

    private static JsonObject? MergeMap(JsonObject target, JsonObject patch, ITypeInfo? type)
    {
        switch (JsonNodes.GetString(patch[PatchDirective]))
        {
            case "replace":
                return (JsonObject?)StripDirectives(patch);
            case "delete":
                return null;
            case null or "merge":
                break;
            default:
                throw new PatchFormatException("Unknown patch type: " + JsonNodes.GetString(patch[PatchDirective]) + " in map: " + JsonText.Serialize(patch));
        }
        if (patch[RetainKeys] is JsonArray retain)
        {
            var keep = retain.Select(JsonNodes.GetString).ToHashSet(StringComparer.Ordinal);
            foreach (var key in target.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
            {
                target.Remove(key);
            }
        }
        foreach (var (key, value) in patch)
        {
            if (key is PatchDirective or RetainKeys || key.StartsWith(SetElementOrder, StringComparison.Ordinal))
            {
                continue;
            }
            if (key.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal))
            {
                var field = key[DeleteFromPrimitiveList.Length..];
                if (target[field] is JsonArray list && value is JsonArray remove)
                {
                    foreach (var item in list.ToList().Where(i => remove.Any(r => JsonNodes.DeepEquals(r, i))))
                    {
                        list.Remove(item);
                    }
                }
                continue;
            }
            if (value is null)
            {
                target.Remove(key);
                continue;
            }
            var childType = type?.Field(key);
            target.TryGetPropertyValue(key, out var existing);
            switch (value)
            {
                case JsonObject childPatch when existing is JsonObject existingObj && childType?.IsAtomic != true:
                    var merged = MergeMap(existingObj, childPatch, childType);
                    if (merged is null)
                    {
                        target.Remove(key);
                    }
                    else if (!ReferenceEquals(merged, existingObj))
                    {
                        target[key] = merged;
                    }
                    break;
                case JsonObject childPatch:
                    if (JsonNodes.GetString(childPatch[PatchDirective]) == "delete")
                    {
                        target.Remove(key);
                    }
                    else
                    {
                        target[key] = StripDirectives(childPatch);
                    }
                    break;
                case JsonArray listPatch:
                    target[key] = MergeList(existing as JsonArray, listPatch, childType);
                    break;
                default:
                    target[key] = value.DeepClone();
                    break;
            }
        }
        return target;
    }

    private static JsonArray MergeList(JsonArray? original, JsonArray patch, ITypeInfo? type)
    {
        var mergeKey = type?.PatchMergeKey;
        var replaceAll = patch.OfType<JsonObject>().Any(i => JsonNodes.GetString(i[PatchDirective]) == "replace");
        if (mergeKey is null || original is null || replaceAll)
        {
            var replaced = new JsonArray();
            foreach (var item in patch)
            {
                if (item is JsonObject obj && obj.ContainsKey(PatchDirective))
                {
                    continue;
                }
                replaced.Add(StripDirectives(item));
            }
            return replaced;
        }
        var result = (JsonArray)original.DeepClone();
        if (mergeKey == "$set")
        {
            foreach (var item in patch.Where(i => !result.Any(r => JsonNodes.DeepEquals(r, i))))
            {
                result.Add(item?.DeepClone());
            }
            return result;
        }
        foreach (var item in patch)
        {
            if (item is not JsonObject patchItem)
            {
                if (!result.Any(r => JsonNodes.DeepEquals(r, item)))
                {
                    result.Add(item?.DeepClone());
                }
                continue;
            }
            if (!patchItem.TryGetPropertyValue(mergeKey, out var keyValue))
            {
                throw new PatchFormatException($"map: {JsonText.Serialize(patchItem)} does not contain declared merge key: {mergeKey}");
            }
            var index = IndexOf(result, mergeKey, keyValue);
            if (JsonNodes.GetString(patchItem[PatchDirective]) == "delete")
            {
                if (index >= 0)
                {
                    result.RemoveAt(index);
                }
                continue;
            }
            if (index < 0)
            {
                result.Add(StripDirectives(patchItem));
                continue;
            }
            var merged = MergeMap((JsonObject)result[index]!, patchItem, type?.Items);
            if (merged is null)
            {
                result.RemoveAt(index);
            }
            else if (!ReferenceEquals(merged, result[index]))
            {
                result[index] = merged;
            }
        }
        return result;
    }

    private static int IndexOf(JsonArray list, string key, JsonNode? value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is JsonObject item && JsonNodes.DeepEquals(item[key], value))
            {
                return i;
            }
        }
        return -1;
    }

    private static JsonNode? StripDirectives(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    if (key.StartsWith('$'))
                    {
                        continue;
                    }
                    copy[key] = StripDirectives(value);
                }
                return copy;
            case JsonArray arr:
                var list = new JsonArray();
                foreach (var item in arr)
                {
                    list.Add(StripDirectives(item));
                }
                return list;
            default:
                return node?.DeepClone();
        }
    }
}
