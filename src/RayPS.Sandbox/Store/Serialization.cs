using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Store;

/// <summary>
/// Output key order: custom resources are Go maps (keys sorted), built-in objects follow their Go
/// struct order (see <see cref="BuiltinShapes"/>).
/// </summary>
internal static class Serialization
{
    public static JsonObject Arrange(ResourceType type, JsonObject obj)
    {
        if (type.IsCustom)
        {
            JsonNodes.SortKeys(obj);
            return obj;
        }
        BuiltinShapes.Arrange(type.Resource, obj);
        return obj;
    }
}

/// <summary>Opaque list continuation tokens (base64 JSON holding the last key returned).</summary>
internal static class ContinueToken
{
    public static string Encode(string lastKey, long resourceVersion)
    {
        var json = JsonText.Serialize(new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = resourceVersion, ["start"] = lastKey + "\u0000" });
        return Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json));
    }

    public static string Decode(string token)
    {
        try
        {
            var json = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var start = JsonNodes.StringAt(JsonText.Parse(json), "start") ?? throw new FormatException();
            return start.TrimEnd('\u0000');
        }
        catch (FormatException)
        {
            throw ApiErrors.BadRequest("continue key is not valid: illegal base64 data at input byte 0");
        }
    }
}
