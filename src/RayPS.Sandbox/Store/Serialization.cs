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

/// <summary>
/// List continuation tokens as the apiserver's storage layer writes them: unpadded URL-safe base64 of
/// <c>{"v":"meta.k8s.io/v1","rv":N,"start":"key-after-the-list-prefix\u0000"}</c>.
/// </summary>
internal static class ContinueToken
{
    private const string Invalid = "continue key is not valid";

    public static string Encode(string start, long resourceVersion)
    {
        var json = JsonText.Serialize(new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = resourceVersion, ["start"] = start });
        return Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The start key and resourceVersion of a token; a bad token is the apiserver's 400.</summary>
    public static (string Start, long ResourceVersion) Decode(string token)
    {
        if (FirstIllegalByte(token) is { } position)
        {
            throw Bad($"{Invalid}: illegal base64 data at input byte {position}");
        }
        var base64 = token.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
        JsonObject parsed;
        try
        {
            parsed = JsonText.Parse(Convert.FromBase64String(base64)) as JsonObject ?? throw new FormatException("not an object");
        }
        catch (FormatException ex)
        {
            throw Bad($"{Invalid}: {ex.Message}");
        }
        var version = JsonNodes.GetString(parsed["v"]) ?? "";
        if (version != "meta.k8s.io/v1")
        {
            throw Bad($"{Invalid}: server does not recognize this encoded version {version}");
        }
        var rv = JsonNodes.GetInteger(parsed["rv"]) ?? 0;
        if (rv == 0)
        {
            throw Bad($"{Invalid}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }
        var start = JsonNodes.GetString(parsed["start"]) ?? "";
        if (start.Length == 0)
        {
            throw Bad($"{Invalid}: encoded start key empty (version meta.k8s.io/v1)");
        }
        return (start, rv);
    }

    private static ApiException Bad(string message) => ApiErrors.BadRequest("invalid continue token: " + message);

    // Go's base64.RawURLEncoding reports the offset of the first byte it cannot use.
    private static int? FirstIllegalByte(string token)
    {
        for (var i = 0; i < token.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(token[i]) || token[i] is '-' or '_'))
            {
                return i;
            }
        }
        return token.Length % 4 == 1 ? token.Length - 1 : null;
    }
}
