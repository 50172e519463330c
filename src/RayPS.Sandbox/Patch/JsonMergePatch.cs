using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Patch;

/// <summary>RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else (arrays too) replaces.</summary>
public static class JsonMergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObj)
        {
            return patch?.DeepClone();
        }
        var result = target is JsonObject targetObj ? (JsonObject)targetObj.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObj)
        {
            if (value is null)
            {
                result.Remove(key);
                continue;
            }
            result.TryGetPropertyValue(key, out var existing);
            result[key] = Apply(existing, value);
        }
        return result;
    }
}
