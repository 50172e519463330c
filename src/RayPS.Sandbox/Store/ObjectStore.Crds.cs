using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Store;

public sealed partial class ObjectStore
{
    internal const string CrdStorageKey = "apiextensions.k8s.io/customresourcedefinitions";

    /// <summary>
    /// Keeps the served API in step with CustomResourceDefinitions: a new CRD gets its names accepted
    /// and becomes Established at once (the real naming/establishing controllers do this within milliseconds).
    /// </summary>
    private void AfterCommit(ResourceType type, string eventType, JsonObject stored, JsonObject? previous)
    {
        if (type.StorageKey != CrdStorageKey)
        {
            return;
        }
        if (eventType == WatchEvent.Deleted)
        {
            Registry.RemoveCustomResource(stored);
            return;
        }
        Registry.ServeCustomResource(stored);
        if (eventType == WatchEvent.Added)
        {
            var established = (JsonObject)stored.DeepClone();
            var status = JsonNodes.EnsureObject(established, "status");
            status["acceptedNames"] = JsonNodes.At(stored, "spec", "names")?.DeepClone();
            Conditions.Set(established, "NamesAccepted", "True", "NoConflicts", "no conflicts found");
            Conditions.Set(established, "Established", "True", "InitialNamesAccepted", "the initial names have been accepted");
            UpdateLocked(type, "v1", null, ObjectMeta.Name(stored), established, new WriteOptions(), "status", "kube-apiserver", applied: false);
        }
    }
}
