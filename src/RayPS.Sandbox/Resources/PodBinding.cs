using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>pods/NAME/binding: assigns a pod to a node (what a scheduler does).</summary>
public static class PodBinding
{
    public static JsonObject Bind(ObjectStore store, string ns, string pod, string node, string manager = "default-scheduler") =>
        store.Mutate(Gvr.Pods, ns, pod, obj =>
        {
            var current = JsonNodes.StringAt(obj, "spec", "nodeName");
            if (!string.IsNullOrEmpty(current))
            {
                throw ApiErrors.Conflict("pods/binding", "", pod, $"pod {pod} is already assigned to node {JsonNodes.Quote(current)}");
            }
            if (ObjectMeta.DeletionTimestamp(obj) is not null)
            {
                throw ApiErrors.Conflict("pods/binding", "", pod, $"pod {pod} is being deleted, cannot be assigned to a host");
            }
            JsonNodes.EnsureObject(obj, "spec")["nodeName"] = node;
            var status = JsonNodes.EnsureObject(obj, "status");
            var conditions = JsonNodes.EnsureArray(status, "conditions");
            foreach (var existing in conditions.OfType<JsonObject>().Where(c => JsonNodes.GetString(c["type"]) == "PodScheduled").ToList())
            {
                conditions.Remove(existing);
            }
            conditions.Add(new JsonObject
            {
                ["type"] = "PodScheduled",
                ["status"] = "True",
                ["lastProbeTime"] = null,
                ["lastTransitionTime"] = ObjectMeta.Timestamp(DateTimeOffset.UtcNow),
            });
            JsonNodes.OrderKeys(status, ["phase", "conditions"]);
            return true;
        }, manager);
}
