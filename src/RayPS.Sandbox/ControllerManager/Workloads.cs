using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.ControllerManager;

/// <summary>Helpers shared by the workload controllers (controller refs, pod states, template hashes).</summary>
internal static class Workloads
{
    /// <summary>The name of the controlling owner of <paramref name="kind"/>, if any.</summary>
    public static string? ControllerOf(JsonObject obj, string kind) =>
        ObjectMeta.OwnerReferences(obj)
            .Where(r => JsonNodes.GetBool(r["controller"]) == true && JsonNodes.GetString(r["kind"]) == kind)
            .Select(r => JsonNodes.GetString(r["name"]))
            .FirstOrDefault();

    public static JsonObject ControllerRef(JsonObject owner) => new()
    {
        ["apiVersion"] = JsonNodes.GetString(owner["apiVersion"]),
        ["kind"] = JsonNodes.GetString(owner["kind"]),
        ["name"] = ObjectMeta.Name(owner),
        ["uid"] = ObjectMeta.Uid(owner),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    /// <summary>Makes <paramref name="owner"/> the controller of an orphan that matches its selector.</summary>
    public static JsonObject Adopt(ObjectStore store, Gvr gvr, JsonObject orphan, JsonObject owner, string manager) =>
        store.Mutate(gvr, ObjectMeta.Namespace(orphan), ObjectMeta.Name(orphan), obj =>
        {
            if (ObjectMeta.OwnerReferences(obj).Any(r => JsonNodes.GetBool(r["controller"]) == true))
            {
                return false;
            }
            JsonNodes.EnsureArray(ObjectMeta.Meta(obj), "ownerReferences").Add(ControllerRef(owner));
            return true;
        }, manager);

    /// <summary>Not being deleted and not finished.</summary>
    public static bool IsActive(JsonObject pod) =>
        ObjectMeta.DeletionTimestamp(pod) is null && JsonNodes.StringAt(pod, "status", "phase") is not ("Succeeded" or "Failed");

    public static bool IsReady(JsonObject pod) => ReadySince(pod) is not null;

    public static bool IsAvailable(JsonObject pod, long minReadySeconds) =>
        ReadySince(pod) is { } since && (minReadySeconds == 0 || DateTimeOffset.UtcNow - since >= TimeSpan.FromSeconds(minReadySeconds));

    private static DateTimeOffset? ReadySince(JsonObject pod)
    {
        var ready = (JsonNodes.At(pod, "status", "conditions") as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(c => JsonNodes.GetString(c["type"]) == "Ready" && JsonNodes.GetString(c["status"]) == "True");
        if (ready is null)
        {
            return null;
        }
        return DateTimeOffset.TryParse(JsonNodes.GetString(ready["lastTransitionTime"]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : DateTimeOffset.MinValue;
    }

    /// <summary>
    /// Pods to delete first sort first: unassigned before assigned, pending before unknown before
    /// running, not ready before ready, more restarts first, newer before older.
    /// </summary>
    public static (int, int, int, long, long) DeletionRank(JsonObject pod)
    {
        var assigned = string.IsNullOrEmpty(JsonNodes.StringAt(pod, "spec", "nodeName")) ? 0 : 1;
        var phase = JsonNodes.StringAt(pod, "status", "phase") switch
        {
            "Pending" => 0,
            "Unknown" => 1,
            "Running" => 2,
            _ => 0,
        };
        var ready = IsReady(pod) ? 1 : 0;
        var restarts = (JsonNodes.At(pod, "status", "containerStatuses") as JsonArray)?.OfType<JsonObject>()
            .Sum(c => JsonNodes.GetInteger(c["restartCount"]) ?? 0) ?? 0;
        var created = DateTimeOffset.TryParse(JsonNodes.StringAt(pod, "metadata", "creationTimestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var c)
            ? c.ToUnixTimeSeconds()
            : long.MaxValue;
        return (assigned, phase, ready, -restarts, -created);
    }

    /// <summary>pod-template-hash: FNV-1a (32 bit) of the template plus the collision count, safe-encoded.</summary>
    public static string TemplateHash(JsonObject template, long collisionCount)
    {
        var text = JsonText.Serialize(JsonNodes.SortKeys(template.DeepClone())) + (collisionCount > 0 ? collisionCount.ToString(CultureInfo.InvariantCulture) : "");
        uint hash = 2166136261;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 16777619;
        }
        return RandomNames.SafeEncode(hash);
    }

    /// <summary>Resolves an int-or-percent (maxSurge/maxUnavailable) against a replica count.</summary>
    public static long Scaled(JsonNode? value, long total, bool roundUp)
    {
        if (JsonNodes.GetInteger(value) is { } number)
        {
            return number;
        }
        var text = JsonNodes.GetString(value) ?? "0";
        if (text.EndsWith('%') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent))
        {
            var exact = percent * total / 100.0;
            return (long)(roundUp ? Math.Ceiling(exact) : Math.Floor(exact));
        }
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
    }
}
