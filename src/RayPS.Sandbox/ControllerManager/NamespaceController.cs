using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.ControllerManager;

/// <summary>
/// Namespace lifecycle: every namespace gets its "default" ServiceAccount and the kube-root-ca.crt
/// ConfigMap; a terminating namespace has its content deleted, then its "kubernetes" finalizer removed.
/// </summary>
internal sealed class NamespaceController(ObjectStore store, string caPem) : Controller(store)
{
    public override string Name => "namespace-controller";

    internal override void Observe(StoreEvent change)
    {
        if (change.StorageKey == "/namespaces" && change.Type != WatchEvent.Deleted)
        {
            Enqueue(ObjectMeta.Name(change.Object));
        }
        else if (change.Type == WatchEvent.Deleted && ObjectMeta.Namespace(change.Object) is { } ns)
        {
            // Content disappearing may let a terminating namespace finish.
            Enqueue(ns);
        }
    }

    internal override void Resync()
    {
        foreach (var ns in Store.ListItems(Gvr.Namespaces, null))
        {
            Enqueue(ObjectMeta.Name(ns));
        }
    }

    protected override void Reconcile(string key)
    {
        var ns = Store.TryGet(Gvr.Namespaces, null, key);
        if (ns is null)
        {
            return;
        }
        if (ObjectMeta.DeletionTimestamp(ns) is null)
        {
            EnsureDefaults(key);
            return;
        }
        foreach (var (type, name, _) in Store.NamespaceContent(key).Where(c => !c.Deleting))
        {
            try
            {
                Store.Delete(type.Gvr(), key, name, new DeleteOptions { PropagationPolicy = "Background" });
            }
            catch (ApiException ex) when (ex.Code == 404)
            {
            }
        }
        if (Store.NamespaceHasContent(key))
        {
            EnqueueAfter(key, TimeSpan.FromMilliseconds(100));
            return;
        }
        Store.Mutate(Gvr.Namespaces, null, key, obj =>
        {
            var spec = JsonNodes.EnsureObject(obj, "spec");
            if (spec["finalizers"] is not JsonArray { Count: > 0 })
            {
                return false;
            }
            spec["finalizers"] = new JsonArray();
            return true;
        }, Name, "finalize");
    }

    private void EnsureDefaults(string ns)
    {
        var options = new WriteOptions { FieldManager = "kube-controller-manager" };
        if (Store.TryGet(Gvr.ServiceAccounts, ns, "default") is null)
        {
            TryCreate(Gvr.ServiceAccounts, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ServiceAccount",
                ["metadata"] = new JsonObject { ["name"] = "default", ["namespace"] = ns },
            }, options);
        }
        if (Store.TryGet(Gvr.ConfigMaps, ns, "kube-root-ca.crt") is null)
        {
            TryCreate(Gvr.ConfigMaps, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject
                {
                    ["name"] = "kube-root-ca.crt",
                    ["namespace"] = ns,
                    ["annotations"] = new JsonObject { ["kubernetes.io/description"] = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters." },
                },
                ["data"] = new JsonObject { ["ca.crt"] = caPem },
            }, options);
        }
    }

    private void TryCreate(Gvr gvr, JsonObject obj, WriteOptions options)
    {
        try
        {
            Store.Create(gvr, obj, options);
        }
        catch (ApiException ex) when (ex.Code is 409 or 403)
        {
        }
    }
}
