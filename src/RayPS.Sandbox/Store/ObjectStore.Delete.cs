using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Store;

public sealed partial class ObjectStore
{
    public const string OrphanFinalizer = "orphan";
    public const string ForegroundFinalizer = "foregroundDeletion";
    public const string CrdCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    internal JsonObject DeleteCore(ResourceType type, string version, string? ns, string name, DeleteOptions options)
    {
        lock (_gate)
        {
            return DeleteLocked(type, version, ns, name, options);
        }
    }

    /// <summary>DELETE on a collection: deletes every match and answers with the list of what was deleted.</summary>
    internal JsonObject DeleteCollection(Gvr gvr, string? ns, ListOptions listOptions, DeleteOptions options)
    {
        var type = Resolve(gvr);
        var labels = ParseLabelSelector(listOptions.LabelSelector);
        var fields = ParseFieldSelector(type, listOptions.FieldSelector);
        lock (_gate)
        {
            var items = new JsonArray();
            foreach (var obj in Scan(type, ns).Select(s => s.Object).Where(o => Matches(type, o, labels, fields)).ToList())
            {
                DeleteLocked(type, gvr.Version, ObjectMeta.Namespace(obj), ObjectMeta.Name(obj), options);
                items.Add(ToVersion(type, obj, gvr.Version));
            }
            return new JsonObject
            {
                ["kind"] = type.ListKind,
                ["apiVersion"] = type.ApiVersion(gvr.Version),
                ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(_resourceVersion) },
                ["items"] = items,
            };
        }
    }

    private JsonObject DeleteLocked(ResourceType type, string version, string? ns, string name, DeleteOptions options)
    {
        var existing = Find(type, ns, name) ?? throw NotFound(type, name);
        if (options.PreconditionUid is { Length: > 0 } uid && uid != ObjectMeta.Uid(existing))
        {
            throw ApiErrors.Conflict(type.Resource, type.Group, name,
                $"Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectMeta.Uid(existing)}");
        }
        if (options.PreconditionResourceVersion is { Length: > 0 } rv && rv != ObjectMeta.ResourceVersion(existing))
        {
            throw ApiErrors.Conflict(type.Resource, type.Group, name,
                $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in meta: {ObjectMeta.ResourceVersion(existing)}");
        }
        var propagation = options.PropagationPolicy;
        if (propagation is not null and not ("Foreground" or "Background" or "Orphan"))
        {
            throw ApiErrors.Invalid("DeleteOptions", "meta.k8s.io", "",
                [FieldError.NotSupported("propagationPolicy", JsonValue.Create(propagation), ["Foreground", "Background", "Orphan", "nil"])]);
        }
        if (ObjectMeta.DeletionTimestamp(existing) is not null)
        {
            return DeletedResponse(type, version, existing, pending: true);
        }
        if (type.StorageKey == "/namespaces")
        {
            return MarkTerminating(type, version, ns, existing, options, terminating =>
            {
                JsonNodes.EnsureObject(terminating, "status")["phase"] = "Terminating";
            });
        }
        if (type.StorageKey == "apiextensions.k8s.io/customresourcedefinitions")
        {
            return MarkTerminating(type, version, ns, existing, options, crd =>
            {
                var finalizers = ObjectMeta.Finalizers(crd);
                if (!finalizers.Contains(CrdCleanupFinalizer))
                {
                    finalizers.Add(CrdCleanupFinalizer);
                }
                ObjectMeta.SetFinalizers(crd, finalizers);
                Conditions.Set(crd, "Terminating", "True", "InstanceDeletionPending",
                    "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon");
            });
        }
        var finalizerList = ObjectMeta.Finalizers(existing);
        var policyFinalizer = propagation switch
        {
            "Orphan" => OrphanFinalizer,
            "Foreground" => ForegroundFinalizer,
            _ => null,
        };
        if (policyFinalizer is not null && !finalizerList.Contains(policyFinalizer))
        {
            finalizerList.Add(policyFinalizer);
        }
        if (type.StorageKey == "/pods" && !PodStrategy.DeletesImmediately(existing, options.GracePeriodSeconds))
        {
            var grace = options.GracePeriodSeconds ?? JsonNodes.GetInteger(JsonNodes.At(existing, "spec", "terminationGracePeriodSeconds")) ?? 30;
            return MarkDeleting(type, version, ns, existing, finalizerList, grace, options.DryRun);
        }
        if (finalizerList.Count > 0)
        {
            return MarkDeleting(type, version, ns, existing, finalizerList, 0, options.DryRun);
        }
        if (type.StorageKey == "/pods")
        {
            return DeletePodAtOnce(type, version, ns, existing, options.DryRun);
        }
        if (!options.DryRun)
        {
            var gone = Commit(type, ns, existing, WatchEvent.Deleted);
            AfterCommit(type, WatchEvent.Deleted, gone.Object, existing);
        }
        return DeletedResponse(type, version, existing, pending: false);
    }

    private JsonObject MarkDeleting(ResourceType type, string version, string? ns, JsonObject existing, List<string> finalizers, long grace, bool dryRun)
    {
        var updated = (JsonObject)existing.DeepClone();
        var meta = ObjectMeta.Meta(updated);
        meta["deletionTimestamp"] = ObjectMeta.Timestamp(DateTimeOffset.UtcNow.AddSeconds(grace));
        meta["deletionGracePeriodSeconds"] = grace;
        ObjectMeta.SetFinalizers(updated, finalizers);
        if (type.Strategy.TracksGeneration)
        {
            meta["generation"] = ObjectMeta.Generation(existing) + 1;
        }
        Serialization.Arrange(type, updated);
        if (dryRun)
        {
            return DeletedResponse(type, version, updated, pending: true);
        }
        var stored = Commit(type, ns, updated, WatchEvent.Modified);
        AfterCommit(type, WatchEvent.Modified, stored.Object, existing);
        return DeletedResponse(type, version, stored.Object, pending: true);
    }

    /// <summary>
    /// A pod deleted with a grace period of 0 (one on no node, a finished one, or a forced delete) still goes
    /// through graceful deletion: the apiserver first writes its deletionTimestamp and deletionGracePeriodSeconds 0
    /// (a MODIFIED a watcher sees), then removes it (DELETED). The answer is the pod as deleted.
    /// </summary>
    private JsonObject DeletePodAtOnce(ResourceType type, string version, string? ns, JsonObject existing, bool dryRun)
    {
        var updated = (JsonObject)existing.DeepClone();
        var meta = ObjectMeta.Meta(updated);
        meta["deletionTimestamp"] = Now();
        meta["deletionGracePeriodSeconds"] = 0L;
        if (type.Strategy.TracksGeneration)
        {
            meta["generation"] = ObjectMeta.Generation(existing) + 1;
        }
        Serialization.Arrange(type, updated);
        if (dryRun)
        {
            return ToVersion(type, updated, version);
        }
        var marked = Commit(type, ns, updated, WatchEvent.Modified);
        AfterCommit(type, WatchEvent.Modified, marked.Object, existing);
        var gone = Commit(type, ns, marked.Object, WatchEvent.Deleted);
        AfterCommit(type, WatchEvent.Deleted, gone.Object, marked.Object);
        return ToVersion(type, gone.Object, version);
    }

    private JsonObject MarkTerminating(ResourceType type, string version, string? ns, JsonObject existing, DeleteOptions options, Action<JsonObject> mutate)
    {
        var updated = (JsonObject)existing.DeepClone();
        ObjectMeta.Meta(updated)["deletionTimestamp"] = Now();
        mutate(updated);
        Serialization.Arrange(type, updated);
        if (options.DryRun)
        {
            return ToVersion(type, updated, version);
        }
        var stored = Commit(type, ns, updated, WatchEvent.Modified);
        AfterCommit(type, WatchEvent.Modified, stored.Object, existing);
        return ToVersion(type, stored.Object, version);
    }

    private static JsonObject DeletedResponse(ResourceType type, string version, JsonObject obj, bool pending)
    {
        if (type.Strategy.ReturnDeletedObject || pending)
        {
            return ToVersion(type, obj, version);
        }
        var details = new JsonObject { ["name"] = ObjectMeta.Name(obj) };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }
        details["kind"] = type.Resource;
        details["uid"] = ObjectMeta.Uid(obj);
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }
}
