using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.ControllerManager;

/// <summary>
/// The garbage collector: deletes dependents whose owners (by ownerReference uid) are all gone,
/// drops references to deleted owners when other owners remain, and finishes foreground and
/// orphan deletions (the foregroundDeletion and orphan finalizers).
/// </summary>
internal sealed class GarbageCollector(ObjectStore store) : Controller(store)
{
    public override string Name => "generic-garbage-collector";

    // Keys are "owner:<uid>" (an owner changed or vanished) or "check:<storageKey>|<ns>/<name>" (verify a dependent's owners).
    internal override void Observe(StoreEvent change)
    {
        var uid = ObjectMeta.Uid(change.Object);
        var before = change.Previous;
        // Only what can change ownership matters: status-only writes (kubelets, controllers) are skipped.
        if (change.Type == WatchEvent.Deleted
            || (ObjectMeta.DeletionTimestamp(change.Object) is not null
                && (before is null || ObjectMeta.DeletionTimestamp(before) is null || !ObjectMeta.Finalizers(before).SequenceEqual(ObjectMeta.Finalizers(change.Object)))))
        {
            Enqueue("owner:" + uid);
        }
        if (change.Type != WatchEvent.Deleted && ObjectMeta.OwnerReferences(change.Object).Any()
            && (before is null || !JsonNodes.DeepEquals(JsonNodes.At(change.Object, "metadata", "ownerReferences"), JsonNodes.At(before, "metadata", "ownerReferences"))))
        {
            Enqueue("check:" + change.StorageKey + "|" + KeyOf(ObjectMeta.Namespace(change.Object), ObjectMeta.Name(change.Object)));
        }
    }

    protected override void Reconcile(string key)
    {
        if (key.StartsWith("owner:", StringComparison.Ordinal))
        {
            ProcessOwner(key["owner:".Length..]);
        }
        else
        {
            var body = key["check:".Length..];
            var bar = body.IndexOf('|');
            CheckDependent(body[..bar], body[(bar + 1)..]);
        }
    }

    private void ProcessOwner(string uid)
    {
        var dependents = Store.FindDependents(uid);
        if (Store.FindByUid(uid) is not { } owner)
        {
            foreach (var (type, dependent) in dependents)
            {
                CheckDependent(type.StorageKey, KeyOf(ObjectMeta.Namespace(dependent), ObjectMeta.Name(dependent)));
            }
            return;
        }
        var finalizers = ObjectMeta.Finalizers(owner.Object);
        if (finalizers.Contains(ObjectStore.OrphanFinalizer))
        {
            foreach (var (type, dependent) in dependents)
            {
                Store.Mutate(type.Gvr(), ObjectMeta.Namespace(dependent), ObjectMeta.Name(dependent), obj => RemoveOwnerRef(obj, uid), Name);
            }
            RemoveFinalizer(owner.Type, owner.Object, ObjectStore.OrphanFinalizer);
        }
        else if (finalizers.Contains(ObjectStore.ForegroundFinalizer))
        {
            var blocking = dependents.Where(d => ObjectMeta.OwnerReferences(d.Object)
                .Any(r => JsonNodes.GetString(r["uid"]) == uid && JsonNodes.GetBool(r["blockOwnerDeletion"]) == true)).ToList();
            foreach (var (type, dependent) in dependents.Where(d => ObjectMeta.DeletionTimestamp(d.Object) is null))
            {
                Delete(type, dependent, "Foreground");
            }
            if (blocking.Count == 0)
            {
                RemoveFinalizer(owner.Type, owner.Object, ObjectStore.ForegroundFinalizer);
            }
            else
            {
                EnqueueAfter("owner:" + uid, TimeSpan.FromMilliseconds(50));
            }
        }
    }

    private void CheckDependent(string storageKey, string key)
    {
        var (ns, name) = SplitKey(key);
        var type = Store.Registry.Types.FirstOrDefault(t => t.StorageKey == storageKey);
        if (type is null)
        {
            return;
        }
        if (!type.Namespaced)
        {
            name = key;
            ns = null;
        }
        var dependent = Store.TryGet(type.Gvr(), ns, name);
        if (dependent is null || ObjectMeta.DeletionTimestamp(dependent) is not null)
        {
            return;
        }
        var refs = ObjectMeta.OwnerReferences(dependent).ToList();
        if (refs.Count == 0)
        {
            return;
        }
        var absent = refs.Where(r => !OwnerExists(r, ns)).Select(r => JsonNodes.GetString(r["uid"]) ?? "").ToList();
        if (absent.Count == 0)
        {
            return;
        }
        if (absent.Count == refs.Count)
        {
            Delete(type, dependent, "Background");
            return;
        }
        Store.Mutate(type.Gvr(), ns, name, obj => absent.Aggregate(false, (changed, uid) => RemoveOwnerRef(obj, uid) || changed), Name);
    }

    private bool OwnerExists(JsonObject reference, string? ns)
    {
        var apiVersion = JsonNodes.GetString(reference["apiVersion"]) ?? "";
        var kind = JsonNodes.GetString(reference["kind"]) ?? "";
        var ownerType = Store.Registry.FindByKind(apiVersion, kind);
        if (ownerType is null)
        {
            // Unknown kinds are left alone rather than collected by mistake.
            return true;
        }
        var owner = Store.TryGet(ownerType.Gvr(), ownerType.Namespaced ? ns : null, JsonNodes.GetString(reference["name"]) ?? "");
        return owner is not null && ObjectMeta.Uid(owner) == JsonNodes.GetString(reference["uid"]);
    }

    private static bool RemoveOwnerRef(JsonObject obj, string uid)
    {
        if (JsonNodes.At(obj, "metadata", "ownerReferences") is not JsonArray refs)
        {
            return false;
        }
        var matches = refs.OfType<JsonObject>().Where(r => JsonNodes.GetString(r["uid"]) == uid).ToList();
        foreach (var m in matches)
        {
            refs.Remove(m);
        }
        if (refs.Count == 0)
        {
            ObjectMeta.Meta(obj).Remove("ownerReferences");
        }
        return matches.Count > 0;
    }

    private void RemoveFinalizer(ResourceType type, JsonObject owner, string finalizer) =>
        Store.Mutate(type.Gvr(), ObjectMeta.Namespace(owner), ObjectMeta.Name(owner), obj =>
        {
            var list = ObjectMeta.Finalizers(obj);
            if (!list.Remove(finalizer))
            {
                return false;
            }
            ObjectMeta.SetFinalizers(obj, list);
            return true;
        }, Name);

    private void Delete(ResourceType type, JsonObject obj, string propagation)
    {
        try
        {
            Store.Delete(type.Gvr(), ObjectMeta.Namespace(obj), ObjectMeta.Name(obj), new DeleteOptions { PropagationPolicy = propagation });
        }
        catch (ApiException ex) when (ex.Code == 404)
        {
        }
    }
}
