using System.Text.Json.Nodes;
using RayPS.Model;

namespace RayPS.Ray;

/// <summary>
/// The dashboard's wrapper around the nodes and state APIs: <c>{"result": bool, "msg": string, "data": object}</c>.
/// <c>result</c> is true only on success; a failure may still come with HTTP 200 (older Ray) or with 4xx/5xx.
/// </summary>
internal sealed class RayEnvelope
{
    public bool Result { get; private init; }
    public string Message { get; private init; } = "";
    public JsonObject? Data { get; private init; }

    /// <summary>Reads an envelope; false when the text is not JSON or has no boolean "result".</summary>
    public static bool TryParse(string? text, out RayEnvelope envelope)
    {
        envelope = new RayEnvelope();
        if (JsonNodeExtensions.TryParse(text) is not JsonObject obj || obj["result"].AsBool() is not { } result)
        {
            return false;
        }
        envelope = new RayEnvelope
        {
            Result = result,
            Message = obj["msg"].AsString() ?? "",
            Data = obj["data"] as JsonObject,
        };
        return true;
    }
}
