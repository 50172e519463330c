using System.Text.Json.Nodes;
using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.ControllerManager;

/// <summary>
/// The ReplicaSet controller: creates pods from the template until spec.replicas are active,
/// deletes surplus pods (least established first), adopts matching orphans, and reports status.
/// </summary>
internal sealed class ReplicaSetController(ObjectStore store) : Controller(store)
{
    public override string Name => "replicaset-controller";

    private const string Manager = "kube-controller-manager";

    internal override void Observe(StoreEvent change)
    {
        if (change.StorageKey == "apps/replicasets")
        {
            Enqueue(KeyOf(ObjectMeta.Namespace(change.Object), ObjectMeta.Name(change.Object)));
        }
        else if (change.StorageKey == "/pods")
        {
            foreach (var obj in new[] { change.Object, change.Previous })
            {
                if (obj is not null && Workloads.ControllerOf(obj, "ReplicaSet") is { } owner)
                {
                    Enqueue(KeyOf(ObjectMeta.Namespace(obj), owner));
                }
            }
        }
    }

    internal override void Resync()
    {
        foreach (var rs in Store.ListItems(Gvr.ReplicaSets, null))
        {
            Enqueue(KeyOf(ObjectMeta.Namespace(rs), ObjectMeta.Name(rs)));
        }
    }

    protected override void Reconcile(string key)
    {
        var (ns, name) = SplitKey(key);
        var rs = Store.TryGet(Gvr.ReplicaSets, ns, name);
        if (rs is null || ObjectMeta.DeletionTimestamp(rs) is not null)
        {
            return;
        }
        var selector = LabelSelector.FromObject(JsonNodes.ObjectAt(rs, "spec", "selector"));
        var uid = ObjectMeta.Uid(rs);
        var pods = new List<JsonObject>();
        foreach (var pod in Store.ListItems(Gvr.Pods, ns))
        {
            var controller = ObjectMeta.OwnerReferences(pod).FirstOrDefault(r => JsonNodes.GetBool(r["controller"]) == true);
            if (controller is not null)
            {
                if (JsonNodes.GetString(controller["uid"]) == uid)
                {
                    pods.Add(pod);
                }
            }
            else if (selector.Matches(ObjectMeta.LabelMap(pod)) && ObjectMeta.DeletionTimestamp(pod) is null)
            {
                pods.Add(Workloads.Adopt(Store, Gvr.Pods, pod, rs, Manager));
            }
        }
        var active = pods.Where(Workloads.IsActive).ToList();
        var desired = JsonNodes.GetInteger(JsonNodes.At(rs, "spec", "replicas")) ?? 1;
        var diff = active.Count - desired;
        if (diff < 0)
        {
            for (var i = 0; i < -diff; i++)
            {
                var pod = Store.Create(Gvr.Pods, NewPod(rs), new WriteOptions { FieldManager = Manager });
                active.Add(pod);
                ClusterEvents.Record(Store, rs, "Normal", "SuccessfulCreate", "Created pod: " + ObjectMeta.Name(pod), Name);
            }
        }
        else if (diff > 0)
        {
            foreach (var pod in active.OrderBy(Workloads.DeletionRank).Take((int)diff).ToList())
            {
                Store.Delete(Gvr.Pods, ns, ObjectMeta.Name(pod));
                active.Remove(pod);
                ClusterEvents.Record(Store, rs, "Normal", "SuccessfulDelete", "Deleted pod: " + ObjectMeta.Name(pod), Name);
            }
        }
        UpdateStatus(rs, active);
    }

    private static JsonObject NewPod(JsonObject rs)
    {
        var template = JsonNodes.ObjectAt(rs, "spec", "template") ?? new JsonObject();
        var meta = new JsonObject { ["generateName"] = ObjectMeta.Name(rs) + "-", ["namespace"] = ObjectMeta.Namespace(rs) };
        if (JsonNodes.At(template, "metadata", "labels") is { } labels)
        {
            meta["labels"] = labels.DeepClone();
        }
        if (JsonNodes.At(template, "metadata", "annotations") is { } annotations)
        {
            meta["annotations"] = annotations.DeepClone();
        }
        meta["ownerReferences"] = new JsonArray(Workloads.ControllerRef(rs));
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = meta,
            ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
        };
    }

    private void UpdateStatus(JsonObject rs, List<JsonObject> active)
    {
        var minReady = JsonNodes.GetInteger(JsonNodes.At(rs, "spec", "minReadySeconds")) ?? 0;
        var ready = active.Count(Workloads.IsReady);
        var available = active.Count(p => Workloads.IsAvailable(p, minReady));
        var status = new JsonObject { ["replicas"] = (long)active.Count };
        if (active.Count > 0) status["fullyLabeledReplicas"] = (long)active.Count;
        if (ready > 0) status["readyReplicas"] = (long)ready;
        if (available > 0) status["availableReplicas"] = (long)available;
        status["observedGeneration"] = ObjectMeta.Generation(rs);
        Store.Mutate(Gvr.ReplicaSets, ObjectMeta.Namespace(rs), ObjectMeta.Name(rs), obj =>
        {
            if (JsonNodes.DeepEquals(obj["status"], status))
            {
                return false;
            }
            obj["status"] = status;
            return true;
        }, Manager, "status");
        if (minReady > 0 && ready > available)
        {
            EnqueueAfter(KeyOf(ObjectMeta.Namespace(rs), ObjectMeta.Name(rs)), TimeSpan.FromSeconds(Math.Min(minReady, 5)));
        }
    }
}
