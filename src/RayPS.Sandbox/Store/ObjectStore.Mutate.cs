using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Patch;

namespace RayPS.Sandbox.Store;

public sealed partial class ObjectStore
{
    /// <summary>
    /// A server-internal read-modify-write that skips update validation (pod binding, controllers
    /// setting fields users may not change). <paramref name="mutate"/> returns false to leave the object alone.
    /// </summary>
    internal JsonObject Mutate(Gvr gvr, string? ns, string name, Func<JsonObject, bool> mutate, string manager, string? subresource = null)
    {
        var type = Resolve(gvr);
        lock (_gate)
        {
            var existing = Find(type, ns, name) ?? throw NotFound(type, name);
            var updated = (JsonObject)existing.DeepClone();
            if (!mutate(updated))
            {
                return ToVersion(type, existing, gvr.Version);
            }
            var include = subresource == "status" ? (Func<string, bool>)(k => k == "status") : MainFields(type);
            ManagedFields.TrackUpdate(existing, updated, manager, type.ApiVersion(gvr.Version), subresource, type.TypeInfo(gvr.Version), include, Now());
            Canonicalize(type, updated);
            if (JsonNodes.DeepEquals(updated, existing))
            {
                return ToVersion(type, existing, gvr.Version);
            }
            var eventType = IsFinalized(type, updated) ? WatchEvent.Deleted : WatchEvent.Modified;
            var stored = Commit(type, ns, updated, eventType);
            AfterCommit(type, eventType, stored.Object, existing);
            return ToVersion(type, stored.Object, gvr.Version);
        }
    }
}
