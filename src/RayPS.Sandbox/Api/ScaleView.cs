using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Patch;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>The autoscaling/v1 Scale view of a scalable object (workloads, or CRDs declaring a scale subresource).</summary>
internal static class ScaleView
{
    public static JsonObject Of(ResourceType type, JsonObject obj)
    {
        long replicas;
        long statusReplicas;
        string selector;
        if (type.CustomScale is { } paths)
        {
            replicas = JsonNodes.GetInteger(TableConverter.SimpleJsonPath(obj, paths.SpecReplicas)) ?? 0;
            statusReplicas = JsonNodes.GetInteger(TableConverter.SimpleJsonPath(obj, paths.StatusReplicas)) ?? 0;
            selector = paths.LabelSelector is null ? "" : JsonNodes.GetString(TableConverter.SimpleJsonPath(obj, paths.LabelSelector)) ?? "";
        }
        else
        {
            replicas = JsonNodes.GetInteger(JsonNodes.At(obj, "spec", "replicas")) ?? 1;
            statusReplicas = JsonNodes.GetInteger(JsonNodes.At(obj, "status", "replicas")) ?? 0;
            var sel = JsonNodes.At(obj, "spec", "selector") as JsonObject;
            selector = sel is null ? "" : sel.ContainsKey("matchLabels") || sel.ContainsKey("matchExpressions")
                ? LabelSelector.FromObject(sel).ToString()
                : LabelSelector.FromMap(ObjectMeta.ToStringMap(sel)).ToString();
        }
        var meta = obj["metadata"] as JsonObject ?? new JsonObject();
        var scaleMeta = new JsonObject();
        foreach (var field in new[] { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" })
        {
            if (meta[field] is { } value)
            {
                scaleMeta[field] = value.DeepClone();
            }
        }
        var status = new JsonObject { ["replicas"] = statusReplicas };
        if (selector.Length > 0)
        {
            status["selector"] = selector;
        }
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = scaleMeta,
            ["spec"] = new JsonObject { ["replicas"] = replicas },
            ["status"] = status,
        };
    }

    public static JsonObject Patch(JsonObject scale, PatchType patchType, byte[] body)
    {
        JsonNode? patch;
        try
        {
            patch = JsonText.Parse(body);
        }
        catch (FormatException ex)
        {
            throw ApiErrors.BadRequest(ex.Message);
        }
        try
        {
            var result = patchType == PatchType.JsonPatch ? JsonPatch.Apply(scale, patch, body) : JsonMergePatch.Apply(scale, patch);
            return result as JsonObject ?? throw ApiErrors.BadRequest("the patched Scale is not an object");
        }
        catch (PatchApplyException)
        {
            throw ApiErrors.GenericInvalid();
        }
        catch (PatchFormatException ex)
        {
            throw ApiErrors.BadRequest(ex.Message);
        }
    }

    /// <summary>A copy of <paramref name="obj"/> with its replica count set.</summary>
    public static JsonObject WithReplicas(ResourceType type, JsonObject obj, long replicas)
    {
        var updated = (JsonObject)obj.DeepClone();
        var path = (type.CustomScale?.SpecReplicas ?? ".spec.replicas").TrimStart('.').Split('.');
        var node = updated;
        foreach (var key in path[..^1])
        {
            node = JsonNodes.EnsureObject(node, key);
        }
        node[path[^1]] = replicas;
        return updated;
    }
}
