using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>Status conditions as controllers maintain them (metav1.Condition-style lists keyed by type).</summary>
internal static class Conditions
{
    /// <summary>
    /// Sets a condition unless it already says the same; lastTransitionTime only moves when the status
    /// changes. <paramref name="withUpdateTime"/> adds lastUpdateTime (Deployment conditions carry it).
    /// </summary>
    public static void Set(JsonArray conditions, string type, string status, string reason, string message, bool withUpdateTime = false)
    {
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => JsonNodes.GetString(c["type"]) == type);
        if (existing is not null && JsonNodes.GetString(existing["status"]) == status &&
            JsonNodes.GetString(existing["reason"]) == reason && JsonNodes.GetString(existing["message"]) == message)
        {
            return;
        }
        var now = ObjectMeta.Timestamp(DateTimeOffset.UtcNow);
        var condition = new JsonObject { ["type"] = type, ["status"] = status };
        if (withUpdateTime)
        {
            condition["lastUpdateTime"] = now;
        }
        condition["lastTransitionTime"] = existing is not null && JsonNodes.GetString(existing["status"]) == status
            ? JsonNodes.GetString(existing["lastTransitionTime"]) ?? now
            : now;
        condition["reason"] = reason;
        condition["message"] = message;
        if (existing is null)
        {
            conditions.Add(condition);
        }
        else
        {
            conditions[conditions.IndexOf(existing)] = condition;
        }
    }

    /// <summary>Sets a condition in <c>status.conditions</c> of an object.</summary>
    public static void Set(JsonObject obj, string type, string status, string reason, string message) =>
        Set(JsonNodes.EnsureArray(JsonNodes.EnsureObject(obj, "status"), "conditions"), type, status, reason, message);

    public static string? Reason(JsonObject obj, string type) =>
        (JsonNodes.At(obj, "status", "conditions") as JsonArray)?.OfType<JsonObject>()
            .Where(c => JsonNodes.GetString(c["type"]) == type)
            .Select(c => JsonNodes.GetString(c["reason"]))
            .FirstOrDefault();
}
