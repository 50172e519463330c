using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.ControllerManager;

/// <summary>
/// The Deployment controller: one ReplicaSet per pod template (named with pod-template-hash),
/// RollingUpdate within maxSurge/maxUnavailable or Recreate, revision annotations, ScalingReplicaSet
/// events, old ReplicaSet cleanup and the status/conditions kubectl reads.
/// </summary>
internal sealed class DeploymentController(ObjectStore store) : Controller(store)
{
    private const string Manager = "kube-controller-manager";
    private const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    private const string HashLabel = "pod-template-hash";

    public override string Name => "deployment-controller";

    internal override void Observe(StoreEvent change)
    {
        var ns = ObjectMeta.Namespace(change.Object);
        switch (change.StorageKey)
        {
            case "apps/deployments":
                Enqueue(KeyOf(ns, ObjectMeta.Name(change.Object)));
                break;
            case "apps/replicasets":
                foreach (var obj in new[] { change.Object, change.Previous })
                {
                    if (obj is not null && Workloads.ControllerOf(obj, "Deployment") is { } owner)
                    {
                        Enqueue(KeyOf(ns, owner));
                    }
                }
                break;
            case "/pods" when change.Type == WatchEvent.Deleted && Workloads.ControllerOf(change.Object, "ReplicaSet") is { } rsName:
                // Recreate waits for old pods to be gone.
                if (Store.TryGet(Gvr.ReplicaSets, ns, rsName) is { } rs && Workloads.ControllerOf(rs, "Deployment") is { } deployment)
                {
                    Enqueue(KeyOf(ns, deployment));
                }
                break;
        }
    }

    internal override void Resync()
    {
        foreach (var d in Store.ListItems(Gvr.Deployments, null))
        {
            Enqueue(KeyOf(ObjectMeta.Namespace(d), ObjectMeta.Name(d)));
        }
    }

    protected override void Reconcile(string key)
    {
        var (ns, name) = SplitKey(key);
        var d = Store.TryGet(Gvr.Deployments, ns, name);
        if (d is null || ObjectMeta.DeletionTimestamp(d) is not null)
        {
            return;
        }
        var all = OwnedReplicaSets(d);
        var template = JsonNodes.ObjectAt(d, "spec", "template") ?? new JsonObject();
        var newRs = all.FirstOrDefault(rs => SameTemplate(rs, template));
        var old = all.Where(rs => !ReferenceEquals(rs, newRs)).OrderBy(rs => JsonNodes.StringAt(rs, "metadata", "creationTimestamp"), StringComparer.Ordinal).ToList();
        if (JsonNodes.GetBool(JsonNodes.At(d, "spec", "paused")) == true)
        {
            SyncStatus(d, all, newRs, progressed: false, created: false);
            return;
        }
        var recreate = JsonNodes.StringAt(d, "spec", "strategy", "type") == "Recreate";
        var replicas = Replicas(d);
        var created = false;
        if (recreate)
        {
            var scaledDown = false;
            foreach (var rs in old.Where(rs => Replicas(rs) > 0))
            {
                Scale(d, rs, 0);
                scaledDown = true;
            }
            if (scaledDown || OldPodsRemain(d, old))
            {
                SyncStatus(d, OwnedReplicaSets(d), newRs, progressed: scaledDown, created: false);
                return;
            }
            if (newRs is null)
            {
                newRs = CreateReplicaSet(d, template, old, replicas);
                created = true;
            }
            else if (Replicas(newRs) != replicas)
            {
                newRs = Scale(d, newRs, replicas);
            }
            SyncStatus(d, OwnedReplicaSets(d), newRs, progressed: true, created: created);
            return;
        }

        var (maxSurge, maxUnavailable) = Bounds(d);
        var progressed = false;
        if (newRs is null)
        {
            newRs = CreateReplicaSet(d, template, old, NewReplicaCount(replicas, maxSurge, all, null));
            all = [.. old, newRs];
            created = true;
            progressed = true;
        }
        else
        {
            SyncRevision(d, newRs, old);
            var current = Replicas(newRs);
            var target = current > replicas ? replicas : NewReplicaCount(replicas, maxSurge, all, newRs);
            if (target != current)
            {
                newRs = Scale(d, newRs, target);
                SyncStatus(d, OwnedReplicaSets(d), newRs, progressed: true, created: false);
                return;
            }
        }
        if (ScaleDownOld(d, newRs, old, replicas, maxUnavailable))
        {
            SyncStatus(d, OwnedReplicaSets(d), newRs, progressed: true, created: created);
            return;
        }
        all = OwnedReplicaSets(d);
        if (Complete(d, all, newRs))
        {
            CleanupOldReplicaSets(d, all.Where(rs => !SameTemplate(rs, template)).ToList());
        }
        SyncStatus(d, OwnedReplicaSets(d), newRs, progressed, created);
    }

    private List<JsonObject> OwnedReplicaSets(JsonObject d)
    {
        var ns = ObjectMeta.Namespace(d);
        var uid = ObjectMeta.Uid(d);
        var selector = LabelSelector.FromObject(JsonNodes.ObjectAt(d, "spec", "selector"));
        var owned = new List<JsonObject>();
        foreach (var rs in Store.ListItems(Gvr.ReplicaSets, ns))
        {
            var controller = ObjectMeta.OwnerReferences(rs).FirstOrDefault(r => JsonNodes.GetBool(r["controller"]) == true);
            if (controller is not null)
            {
                if (JsonNodes.GetString(controller["uid"]) == uid && ObjectMeta.DeletionTimestamp(rs) is null)
                {
                    owned.Add(rs);
                }
            }
            else if (ObjectMeta.DeletionTimestamp(rs) is null && selector.Matches(ObjectMeta.LabelMap(rs)))
            {
                owned.Add(Workloads.Adopt(Store, Gvr.ReplicaSets, rs, d, Manager));
            }
        }
        return owned;
    }

    private static bool SameTemplate(JsonObject rs, JsonObject template)
    {
        if (JsonNodes.ObjectAt(rs, "spec", "template")?.DeepClone() is not JsonObject rsTemplate)
        {
            return false;
        }
        if (JsonNodes.ObjectAt(rsTemplate, "metadata", "labels") is { } labels)
        {
            labels.Remove(HashLabel);
        }
        return JsonNodes.DeepEquals(rsTemplate, template);
    }

    private static long Replicas(JsonObject obj) => JsonNodes.GetInteger(JsonNodes.At(obj, "spec", "replicas")) ?? 1;

    private static long Available(JsonObject rs) => JsonNodes.GetInteger(JsonNodes.At(rs, "status", "availableReplicas")) ?? 0;

    private static long StatusCount(IEnumerable<JsonObject> sets, string field) =>
        sets.Sum(rs => JsonNodes.GetInteger(JsonNodes.At(rs, "status", field)) ?? 0);

    private static (long Surge, long Unavailable) Bounds(JsonObject d)
    {
        var replicas = Replicas(d);
        var rolling = JsonNodes.ObjectAt(d, "spec", "strategy", "rollingUpdate");
        var surge = Workloads.Scaled(rolling?["maxSurge"] ?? JsonValue.Create("25%"), replicas, roundUp: true);
        var unavailable = Workloads.Scaled(rolling?["maxUnavailable"] ?? JsonValue.Create("25%"), replicas, roundUp: false);
        if (surge == 0 && unavailable == 0)
        {
            unavailable = 1;
        }
        return (surge, Math.Min(unavailable, replicas));
    }

    // NewRSNewReplicas for RollingUpdate: grow the new ReplicaSet as far as maxSurge allows.
    private static long NewReplicaCount(long replicas, long maxSurge, List<JsonObject> all, JsonObject? newRs)
    {
        var current = newRs is null ? 0 : Replicas(newRs);
        var total = all.Sum(Replicas);
        var maxTotal = replicas + maxSurge;
        if (total >= maxTotal)
        {
            return current;
        }
        return current + Math.Min(maxTotal - total, replicas - current);
    }

    // reconcileOldReplicaSets: first drop unhealthy old pods, then scale down as availability allows.
    private bool ScaleDownOld(JsonObject d, JsonObject newRs, List<JsonObject> old, long replicas, long maxUnavailable)
    {
        var oldCount = old.Sum(Replicas);
        if (oldCount == 0)
        {
            return false;
        }
        var allCount = oldCount + Replicas(newRs);
        var minAvailable = replicas - maxUnavailable;
        var newUnavailable = Replicas(newRs) - Available(newRs);
        var maxScaledDown = allCount - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
        {
            return false;
        }
        long cleaned = 0;
        for (var i = 0; i < old.Count && cleaned < maxScaledDown; i++)
        {
            var rs = old[i];
            var unhealthy = Replicas(rs) - Available(rs);
            if (Replicas(rs) == 0 || unhealthy <= 0)
            {
                continue;
            }
            var count = Math.Min(maxScaledDown - cleaned, unhealthy);
            old[i] = Scale(d, rs, Replicas(rs) - count);
            cleaned += count;
        }
        var available = old.Sum(Available) + Available(newRs);
        long scaledDown = 0;
        if (available > minAvailable)
        {
            var budget = available - minAvailable;
            for (var i = 0; i < old.Count && scaledDown < budget; i++)
            {
                if (Replicas(old[i]) == 0)
                {
                    continue;
                }
                var count = Math.Min(Replicas(old[i]), budget - scaledDown);
                old[i] = Scale(d, old[i], Replicas(old[i]) - count);
                scaledDown += count;
            }
        }
        return cleaned + scaledDown > 0;
    }

    private bool OldPodsRemain(JsonObject d, List<JsonObject> old)
    {
        var uids = old.Select(ObjectMeta.Uid).ToHashSet(StringComparer.Ordinal);
        return Store.ListItems(Gvr.Pods, ObjectMeta.Namespace(d)).Any(p =>
            ObjectMeta.OwnerReferences(p).Any(r => uids.Contains(JsonNodes.GetString(r["uid"]) ?? "")) &&
            JsonNodes.StringAt(p, "status", "phase") is not ("Succeeded" or "Failed"));
    }

    private JsonObject CreateReplicaSet(JsonObject d, JsonObject template, List<JsonObject> old, long replicas)
    {
        var collisions = JsonNodes.GetInteger(JsonNodes.At(d, "status", "collisionCount")) ?? 0;
        var revision = old.Select(Revision).DefaultIfEmpty(0).Max() + 1;
        while (true)
        {
            var hash = Workloads.TemplateHash(template, collisions);
            var name = ObjectMeta.Name(d) + "-" + hash;
            var rsTemplate = (JsonObject)template.DeepClone();
            JsonNodes.EnsureObject(JsonNodes.EnsureObject(rsTemplate, "metadata"), "labels")[HashLabel] = hash;
            var selector = (JsonObject?)JsonNodes.ObjectAt(d, "spec", "selector")?.DeepClone() ?? new JsonObject();
            JsonNodes.EnsureObject(selector, "matchLabels")[HashLabel] = hash;
            var annotations = new JsonObject();
            foreach (var (key, value) in ObjectMeta.Annotations(d) ?? new JsonObject())
            {
                if (key is not (RevisionAnnotation or "kubectl.kubernetes.io/last-applied-configuration"))
                {
                    annotations[key] = value?.DeepClone();
                }
            }
            var (surge, _) = Bounds(d);
            annotations["deployment.kubernetes.io/desired-replicas"] = Replicas(d).ToString(CultureInfo.InvariantCulture);
            annotations["deployment.kubernetes.io/max-replicas"] = (Replicas(d) + surge).ToString(CultureInfo.InvariantCulture);
            annotations[RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture);
            var spec = new JsonObject { ["replicas"] = replicas };
            if (JsonNodes.At(d, "spec", "minReadySeconds") is { } minReady)
            {
                spec["minReadySeconds"] = minReady.DeepClone();
            }
            spec["selector"] = selector;
            spec["template"] = rsTemplate;
            var rs = new JsonObject
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "ReplicaSet",
                ["metadata"] = new JsonObject
                {
                    ["name"] = name,
                    ["namespace"] = ObjectMeta.Namespace(d),
                    ["labels"] = rsTemplate["metadata"]!["labels"]!.DeepClone(),
                    ["annotations"] = annotations,
                    ["ownerReferences"] = new JsonArray(Workloads.ControllerRef(d)),
                },
                ["spec"] = spec,
            };
            try
            {
                var created = Store.Create(Gvr.ReplicaSets, rs, new WriteOptions { FieldManager = Manager });
                if (replicas > 0)
                {
                    ClusterEvents.Record(Store, d, "Normal", "ScalingReplicaSet", $"Scaled up replica set {name} from 0 to {replicas}", Name);
                }
                SetDeploymentRevision(d, revision);
                return created;
            }
            catch (ApiException ex) when (ex.Code == 409)
            {
                var existing = Store.TryGet(Gvr.ReplicaSets, ObjectMeta.Namespace(d), name);
                if (existing is not null && SameTemplate(existing, template) && Workloads.ControllerOf(existing, "Deployment") == ObjectMeta.Name(d))
                {
                    return existing;
                }
                collisions++;
                Store.Mutate(Gvr.Deployments, ObjectMeta.Namespace(d), ObjectMeta.Name(d), obj =>
                {
                    JsonNodes.EnsureObject(obj, "status")["collisionCount"] = collisions;
                    return true;
                }, Manager, "status");
            }
        }
    }

    private static long Revision(JsonObject obj) =>
        long.TryParse(JsonNodes.StringAt(obj, "metadata", "annotations", RevisionAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;

    private void SyncRevision(JsonObject d, JsonObject newRs, List<JsonObject> old)
    {
        var wanted = Math.Max(Revision(newRs), old.Select(Revision).DefaultIfEmpty(0).Max() + (old.Count > 0 && Revision(newRs) <= old.Select(Revision).Max() ? 1 : 0));
        if (Revision(newRs) != wanted)
        {
            Store.Mutate(Gvr.ReplicaSets, ObjectMeta.Namespace(newRs), ObjectMeta.Name(newRs), obj =>
            {
                JsonNodes.EnsureObject(ObjectMeta.Meta(obj), "annotations")[RevisionAnnotation] = wanted.ToString(CultureInfo.InvariantCulture);
                return true;
            }, Manager);
        }
        if (Revision(d) != wanted)
        {
            SetDeploymentRevision(d, wanted);
        }
    }

    private void SetDeploymentRevision(JsonObject d, long revision) =>
        Store.Mutate(Gvr.Deployments, ObjectMeta.Namespace(d), ObjectMeta.Name(d), obj =>
        {
            var annotations = JsonNodes.EnsureObject(ObjectMeta.Meta(obj), "annotations");
            var text = revision.ToString(CultureInfo.InvariantCulture);
            if (JsonNodes.GetString(annotations[RevisionAnnotation]) == text)
            {
                return false;
            }
            annotations[RevisionAnnotation] = text;
            return true;
        }, Manager, "status");

    private JsonObject Scale(JsonObject d, JsonObject rs, long replicas)
    {
        var before = Replicas(rs);
        var (surge, _) = Bounds(d);
        var updated = Store.Mutate(Gvr.ReplicaSets, ObjectMeta.Namespace(rs), ObjectMeta.Name(rs), obj =>
        {
            JsonNodes.EnsureObject(obj, "spec")["replicas"] = replicas;
            var annotations = JsonNodes.EnsureObject(ObjectMeta.Meta(obj), "annotations");
            annotations["deployment.kubernetes.io/desired-replicas"] = Replicas(d).ToString(CultureInfo.InvariantCulture);
            annotations["deployment.kubernetes.io/max-replicas"] = (Replicas(d) + surge).ToString(CultureInfo.InvariantCulture);
            return true;
        }, Manager);
        if (before != replicas)
        {
            var direction = replicas > before ? "up" : "down";
            ClusterEvents.Record(Store, d, "Normal", "ScalingReplicaSet", $"Scaled {direction} replica set {ObjectMeta.Name(rs)} from {before} to {replicas}", Name);
        }
        return updated;
    }

    private static bool Complete(JsonObject d, List<JsonObject> all, JsonObject newRs)
    {
        var replicas = Replicas(d);
        return Replicas(newRs) == replicas && Available(newRs) >= replicas && all.Where(rs => !ReferenceEquals(rs, newRs) && ObjectMeta.Uid(rs) != ObjectMeta.Uid(newRs)).All(rs => Replicas(rs) == 0);
    }

    private void CleanupOldReplicaSets(JsonObject d, List<JsonObject> old)
    {
        var limit = JsonNodes.GetInteger(JsonNodes.At(d, "spec", "revisionHistoryLimit")) ?? 10;
        var removable = old.Where(rs => Replicas(rs) == 0 && (JsonNodes.GetInteger(JsonNodes.At(rs, "status", "replicas")) ?? 0) == 0)
            .OrderBy(Revision).ToList();
        foreach (var rs in removable.Take(Math.Max(0, removable.Count - (int)limit)))
        {
            Store.Delete(Gvr.ReplicaSets, ObjectMeta.Namespace(rs), ObjectMeta.Name(rs));
        }
    }

    private void SyncStatus(JsonObject d, List<JsonObject> all, JsonObject? newRs, bool progressed, bool created)
    {
        var replicas = Replicas(d);
        var (_, maxUnavailable) = Bounds(d);
        var available = StatusCount(all, "availableReplicas");
        var total = all.Sum(Replicas);
        var status = new JsonObject { ["observedGeneration"] = ObjectMeta.Generation(d) };
        void Put(string field, long value)
        {
            if (value != 0)
            {
                status[field] = value;
            }
        }
        Put("replicas", StatusCount(all, "replicas"));
        Put("updatedReplicas", newRs is null ? 0 : JsonNodes.GetInteger(JsonNodes.At(newRs, "status", "replicas")) ?? 0);
        Put("readyReplicas", StatusCount(all, "readyReplicas"));
        Put("availableReplicas", available);
        Put("unavailableReplicas", Math.Max(0, total - available));
        var rsName = newRs is null ? "" : ObjectMeta.Name(newRs);
        Store.Mutate(Gvr.Deployments, ObjectMeta.Namespace(d), ObjectMeta.Name(d), obj =>
        {
            var previous = obj["status"] as JsonObject ?? new JsonObject();
            if (previous["collisionCount"] is { } collisions)
            {
                status["collisionCount"] = collisions.DeepClone();
            }
            var conditions = (previous["conditions"] as JsonArray)?.DeepClone() as JsonArray ?? [];
            var isAvailable = available >= replicas - maxUnavailable;
            Conditions.Set(conditions, "Available", isAvailable ? "True" : "False",
                isAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                isAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", withUpdateTime: true);
            if (newRs is not null)
            {
                if (Complete(d, all, newRs))
                {
                    Conditions.Set(conditions, "Progressing", "True", "NewReplicaSetAvailable", $"ReplicaSet \"{rsName}\" has successfully progressed.", withUpdateTime: true);
                }
                else if (created)
                {
                    Conditions.Set(conditions, "Progressing", "True", "NewReplicaSetCreated", $"Created new replica set \"{rsName}\"", withUpdateTime: true);
                }
                else if (progressed)
                {
                    Conditions.Set(conditions, "Progressing", "True", "ReplicaSetUpdated", $"ReplicaSet \"{rsName}\" is progressing.", withUpdateTime: true);
                }
                else if (!conditions.OfType<JsonObject>().Any(c => JsonNodes.GetString(c["type"]) == "Progressing"))
                {
                    Conditions.Set(conditions, "Progressing", "True", "FoundNewReplicaSet", $"Found new replica set \"{rsName}\"", withUpdateTime: true);
                }
            }
            status["conditions"] = conditions;
            if (JsonNodes.DeepEquals(previous, status))
            {
                return false;
            }
            obj["status"] = status;
            return true;
        }, Manager, "status");
    }
}
