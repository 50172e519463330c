using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.ControllerManager;

/// <summary>
/// The apiextensions finalizer: when a CustomResourceDefinition is deleted, its custom resources
/// are deleted, then the customresourcecleanup finalizer is removed and the CRD disappears.
/// </summary>
internal sealed class CrdCleanupController(ObjectStore store) : Controller(store)
{
    public override string Name => "kube-apiserver";

    internal override void Observe(StoreEvent change)
    {
        if (change.StorageKey == ObjectStore.CrdStorageKey && change.Type != WatchEvent.Deleted && ObjectMeta.DeletionTimestamp(change.Object) is not null)
        {
            Enqueue(ObjectMeta.Name(change.Object));
        }
    }

    protected override void Reconcile(string key)
    {
        var crd = Store.TryGet(Gvr.CustomResourceDefinitions, null, key);
        if (crd is null || ObjectMeta.DeletionTimestamp(crd) is null || !ObjectMeta.Finalizers(crd).Contains(ObjectStore.CrdCleanupFinalizer))
        {
            return;
        }
        var type = Store.Registry.Types.FirstOrDefault(t => t.IsCustom && t.GroupResource == key);
        if (type is not null)
        {
            Store.Mutate(Gvr.CustomResourceDefinitions, null, key, obj =>
            {
                if (Conditions.Reason(obj, "Terminating") == "InstanceDeletionInProgress")
                {
                    return false;
                }
                Conditions.Set(obj, "Terminating", "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress");
                return true;
            }, Name, "status");
            var remaining = Store.FindAll((t, _) => t.StorageKey == type.StorageKey);
            foreach (var (_, obj) in remaining)
            {
                try
                {
                    Store.Delete(type.Gvr(), ObjectMeta.Namespace(obj), ObjectMeta.Name(obj), new DeleteOptions { PropagationPolicy = "Background" });
                }
                catch (ApiException ex) when (ex.Code == 404)
                {
                }
            }
            if (Store.FindAll((t, _) => t.StorageKey == type.StorageKey).Count > 0)
            {
                EnqueueAfter(key, TimeSpan.FromMilliseconds(100));
                return;
            }
        }
        Store.Mutate(Gvr.CustomResourceDefinitions, null, key, obj =>
        {
            var finalizers = ObjectMeta.Finalizers(obj);
            finalizers.Remove(ObjectStore.CrdCleanupFinalizer);
            ObjectMeta.SetFinalizers(obj, finalizers);
            return true;
        }, Name);
    }
}
