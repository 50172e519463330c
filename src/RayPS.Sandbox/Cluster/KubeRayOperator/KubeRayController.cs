using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using RayPS.Sandbox.ControllerManager;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;
using static RayPS.Sandbox.Cluster.KubeRayConstants;

namespace RayPS.Sandbox.Cluster;

/// <summary>
/// The KubeRay 1.4.2 operator: reconciles RayClusters into a head service, a head pod and worker
/// pods (<see cref="RayClusterPlanner"/>), records its events, and keeps the status subresource
/// (<see cref="RayClusterStatusBuilder"/>). When the RayCluster CRD is installed the operator
/// itself is installed as Deployment <c>kube-system/kuberay-operator</c>; scaling that Deployment to
/// zero or deleting it stops reconciliation (the operator is down) until it is back.
/// </summary>
internal sealed class KubeRayController : Controller
{
    public const string FieldManager = "kuberay-operator";
    private const string OperatorKey = "\u0000operator";
    private const string CrdName = "rayclusters.ray.io";

    private readonly TimeProvider _time;
    private readonly ClusterSimulationOptions _options;
    private readonly Random _victims;
    private readonly Dictionary<string, string> _reportedInvalid = new(StringComparer.Ordinal);
    private readonly ObjectCache _pods = new();
    private readonly ObjectCache _services = new();
    private readonly ConcurrentDictionary<string, JsonObject> _clusters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _batched = new(StringComparer.Ordinal);
    private volatile bool _operatorUp;
    private string? _installedForCrd;

    /// <summary>
    /// Started -WithoutKubeRay: nothing is installed for the user; the operator runs only while a Deployment they installed
    /// (label app.kubernetes.io/name=kuberay-operator, any namespace) has a ready pod, and reconciles only the namespaces
    /// its --watch-namespace names (all when absent).
    /// </summary>
    private readonly bool _installedByUser;

    /// <summary>Installed operator Deployments (namespace/name) that are running, with the namespaces each watches (null = all).</summary>
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>?> _runningOperators = new(StringComparer.Ordinal);

    /// <summary>Pod and service changes of a cluster arriving within this window are handled by one reconcile.</summary>
    internal static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(15);

    /// <summary>DefaultRequeueDuration: the delay of the reconcile that follows a status change.</summary>
    private const double StatusRequeueSeconds = 2;

    /// <param name="store">The store.</param>
    /// <param name="time">The clock.</param>
    /// <param name="options">Timings (the 2 s requeue after a status change is two simulated seconds).</param>
    /// <param name="seed">Seeds the order in which a plain scale-down picks its victims.</param>
    /// <param name="installedByUser">Runs only while an operator Deployment the user installed has a ready pod (-WithoutKubeRay).</param>
    public KubeRayController(ObjectStore store, TimeProvider? time = null, ClusterSimulationOptions? options = null, int seed = 0, bool installedByUser = false)
        : base(store)
    {
        _time = time ?? TimeProvider.System;
        _options = options ?? new ClusterSimulationOptions();
        _victims = new Random(seed);
        _installedByUser = installedByUser;
    }

    public override string Name => ControllerComponent;

    internal override void Observe(StoreEvent change)
    {
        switch (change.StorageKey)
        {
            case "ray.io/rayclusters":
                var clusterKey = KeyOf(ObjectMeta.Namespace(change.Object), ObjectMeta.Name(change.Object));
                if (change.Type == WatchEvent.Deleted)
                {
                    _clusters.TryRemove(clusterKey, out _);
                    Enqueue(clusterKey);
                }
                else
                {
                    PutCluster(clusterKey, change.Object);
                    // Our own status writes come back here: only spec/metadata changes need a reconcile.
                    if (change.Previous is not { } previous || !OnlyStatusChanged(change.Object, previous))
                    {
                        Enqueue(clusterKey);
                    }
                }
                break;
            case "/pods":
            case "/services":
                ObserveMember(change, change.StorageKey == "/pods" ? _pods : _services);
                break;
            case "apiextensions.k8s.io/customresourcedefinitions" when ObjectMeta.Name(change.Object) == CrdName && !_installedByUser:
                Enqueue(OperatorKey);
                break;
            case "apps/deployments" when _installedByUser:
                ObserveInstalledOperator(change);
                break;
            case "apps/deployments" when ObjectMeta.Name(change.Object) == OperatorName && ObjectMeta.Namespace(change.Object) == OperatorNamespace:
                _operatorUp = change.Type != WatchEvent.Deleted && OperatorRunning(change.Object);
                if (OperatorRunning(change.Object) != (change.Previous is { } before && OperatorRunning(before)) || change.Type == WatchEvent.Deleted)
                {
                    // The operator came back (or went away): look at every cluster again.
                    foreach (var cluster in Clusters())
                    {
                        Enqueue(KeyOf(ObjectMeta.Namespace(cluster), ObjectMeta.Name(cluster)));
                    }
                }
                break;
        }
    }

    private static bool OnlyStatusChanged(JsonObject now, JsonObject before) =>
        ObjectMeta.Uid(now) == ObjectMeta.Uid(before)
        && ObjectMeta.Generation(now) == ObjectMeta.Generation(before)
        && ObjectMeta.DeletionTimestamp(now) == ObjectMeta.DeletionTimestamp(before)
        && JsonNodes.DeepEquals(ObjectMeta.Annotations(now), ObjectMeta.Annotations(before))
        && JsonNodes.DeepEquals(ObjectMeta.Labels(now), ObjectMeta.Labels(before));

    private static long Rv(JsonObject obj) =>
        long.TryParse(ObjectMeta.ResourceVersion(obj), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var rv) ? rv : 0;

    /// <summary>Caches a RayCluster unless a newer version of the same object is cached already.</summary>
    private void PutCluster(string key, JsonObject obj) =>
        _clusters.AddOrUpdate(key, obj, (_, existing) => ObjectMeta.Uid(existing) == ObjectMeta.Uid(obj) && Rv(existing) > Rv(obj) ? existing : obj);

    /// <summary>Keeps the cache of a cluster's pods or services current and queues the cluster.</summary>
    private void ObserveMember(StoreEvent change, ObjectCache cache)
    {
        if (change.Previous is { } before && OwningCluster(before) is { } was && was != OwningCluster(change.Object))
        {
            cache.Remove(KeyOf(ObjectMeta.Namespace(before), was), before);
            Enqueue(KeyOf(ObjectMeta.Namespace(before), was));
        }
        if (OwningCluster(change.Object) is not { } cluster)
        {
            return;
        }
        var key = KeyOf(ObjectMeta.Namespace(change.Object), cluster);
        if (change.Type == WatchEvent.Deleted)
        {
            cache.Remove(key, change.Object);
        }
        else
        {
            cache.Put(key, change.Object);
        }
        // Batch: a thousand pods changing at once cost a handful of reconciles, not a thousand.
        if (_batched.TryAdd(key, 0))
        {
            EnqueueAfter(key, BatchWindow);
        }
    }

    internal override void Resync()
    {
        if (_installedByUser)
        {
            foreach (var deployment in Store.ListItems(Gvr.Deployments, null))
            {
                ObserveInstalledOperator(new StoreEvent("apps/deployments", WatchEvent.Added, deployment, null, 0));
            }
        }
        else
        {
            _operatorUp = Store.TryGet(Gvr.Deployments, OperatorNamespace, OperatorName) is { } op && OperatorRunning(op);
            Enqueue(OperatorKey);
        }
        foreach (var (gvr, cache) in new[] { (Gvr.Pods, _pods), (Gvr.Services, _services) })
        {
            foreach (var obj in Store.ListItems(gvr, null))
            {
                if (OwningCluster(obj) is { } cluster)
                {
                    cache.Put(KeyOf(ObjectMeta.Namespace(obj), cluster), obj);
                }
            }
        }
        foreach (var cluster in Clusters())
        {
            var key = KeyOf(ObjectMeta.Namespace(cluster), ObjectMeta.Name(cluster));
            PutCluster(key, cluster);
            Enqueue(key);
        }
    }

    /// <summary>The RayCluster a pod or service belongs to (ray.io/cluster, or the headless worker service label).</summary>
    private static string? OwningCluster(JsonObject obj) =>
        PodInfo.Label(obj, RayClusterLabel) is { Length: > 0 } cluster ? cluster
        : PodInfo.Label(obj, HeadlessWorkerServiceLabel) is { Length: > 0 } headless ? headless
        : null;

    private List<JsonObject> Clusters()
    {
        try
        {
            return Store.ListItems(Gvr.RayClusters, null).ToList();
        }
        catch (ApiException)
        {
            return [];
        }
    }

    private JsonObject? InstalledCrd => Store.TryGet(Gvr.CustomResourceDefinitions, null, CrdName) is { } crd && ObjectMeta.DeletionTimestamp(crd) is null ? crd : null;

    /// <summary>An installed operator is up while its Deployment wants replicas and has a ready one.</summary>
    private void ObserveInstalledOperator(StoreEvent change)
    {
        var deployment = change.Object;
        if (PodInfo.Label(deployment, AppNameLabel) != ComponentName)
        {
            return;
        }
        var key = KeyOf(ObjectMeta.Namespace(deployment), ObjectMeta.Name(deployment));
        var running = change.Type != WatchEvent.Deleted && OperatorRunning(deployment)
            && (JsonNodes.GetInteger(JsonNodes.At(deployment, "status", "readyReplicas")) ?? 0) > 0;
        var wasUp = _operatorUp;
        var watchedBefore = _runningOperators.TryGetValue(key, out var before) ? before : null;
        if (running)
        {
            _runningOperators[key] = WatchedNamespaces(deployment);
        }
        else
        {
            _runningOperators.TryRemove(key, out _);
        }
        _operatorUp = !_runningOperators.IsEmpty;
        if (_operatorUp != wasUp || (running && !Same(watchedBefore, _runningOperators.GetValueOrDefault(key))))
        {
            foreach (var cluster in Clusters())
            {
                Enqueue(KeyOf(ObjectMeta.Namespace(cluster), ObjectMeta.Name(cluster)));
            }
        }
    }

    private static bool Same(IReadOnlyList<string>? a, IReadOnlyList<string>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b);

    /// <summary>The operator container's --watch-namespace (as "--watch-namespace X" or "--watch-namespace=X"); null = every namespace.</summary>
    private static IReadOnlyList<string>? WatchedNamespaces(JsonObject deployment)
    {
        var containers = JsonNodes.At(deployment, "spec", "template", "spec", "containers") as JsonArray;
        var args = containers?.OfType<JsonObject>()
            .SelectMany(c => ((c["command"] as JsonArray) ?? []).Concat((c["args"] as JsonArray) ?? []))
            .Select(a => JsonNodes.GetString(a) ?? "")
            .ToList() ?? [];
        for (var i = 0; i < args.Count; i++)
        {
            string? value = args[i] == "--watch-namespace" && i + 1 < args.Count ? args[i + 1]
                : args[i].StartsWith("--watch-namespace=", StringComparison.Ordinal) ? args[i]["--watch-namespace=".Length..]
                : null;
            if (!string.IsNullOrEmpty(value))
            {
                return value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }
        }
        return null;
    }

    /// <summary>Whether a running operator reconciles RayClusters of <paramref name="ns"/>.</summary>
    private bool Watches(string ns) =>
        !_installedByUser || _runningOperators.Values.Any(w => w is null || w.Contains(ns, StringComparer.Ordinal));

    private static bool OperatorRunning(JsonObject deployment) =>
        ObjectMeta.DeletionTimestamp(deployment) is null && (JsonNodes.GetInteger(JsonNodes.At(deployment, "spec", "replicas")) ?? 1) > 0;

    /// <summary>The operator reconciles only while its Deployment exists with replicas &gt; 0.</summary>
    private bool OperatorUp => _operatorUp;

    protected override void Reconcile(string key)
    {
        if (key == OperatorKey)
        {
            if (!_installedByUser)
            {
                ReconcileOperator();
            }
            return;
        }
        if (!OperatorUp || !Watches(key[..Math.Max(0, key.IndexOf('/', StringComparison.Ordinal))]))
        {
            return;
        }
        _batched.TryRemove(key, out _);
        // The stored object from the watch (never mutated here): no copy per reconcile.
        var raw = _clusters.GetValueOrDefault(key);
        if (raw is null)
        {
            lock (_reportedInvalid)
            {
                _reportedInvalid.Remove(key);
            }
            return; // the garbage collector removes what it owned
        }
        var cluster = new RayClusterSpec(raw);
        var (pods, services) = Observed(cluster);
        RayClusterPlan plan;
        lock (_victims)
        {
            plan = RayClusterPlanner.Plan(cluster, pods, services, _victims);
        }
        if (plan.InvalidReason is not null)
        {
            var marker = cluster.Uid + "/" + cluster.Generation + "/" + plan.InvalidMessage;
            bool report;
            lock (_reportedInvalid)
            {
                report = !_reportedInvalid.TryGetValue(key, out var last) || last != marker;
                _reportedInvalid[key] = marker;
            }
            if (report)
            {
                ClusterEvents.Record(Store, raw, "Warning", plan.InvalidReason, plan.InvalidMessage!, ControllerComponent);
            }
            return;
        }
        lock (_reportedInvalid)
        {
            _reportedInvalid.Remove(key);
        }
        // reconcileAutoscalerServiceAccount/Role/RoleBinding run before the services and pods; a failure stops the reconcile there.
        var failure = cluster.Autoscaling && !cluster.Deleting && !ReconcileAutoscalerRbac(cluster, raw)
            ? null
            : Execute(cluster, raw, plan);
        // A collection delete for a suspension is not in the informer cache yet when KubeRay computes the
        // status, so Suspended is only set by a later reconcile (one the pods' deletion events trigger).
        if (!plan.IsEmpty && !plan.DeleteAllForSuspension)
        {
            (pods, services) = Observed(cluster);
        }

        UpdateStatus(cluster, pods, services, failure);
    }

    /// <summary>The cluster's pods (all labelled ray.io/cluster=&lt;name&gt;) and services, from the informer cache.</summary>
    private (List<JsonObject> Pods, List<JsonObject> Services) Observed(RayClusterSpec cluster)
    {
        var key = KeyOf(cluster.Namespace, cluster.Name);
        return (_pods.Snapshot(key).Where(p => PodInfo.Label(p, RayClusterLabel) == cluster.Name).ToList(), _services.Snapshot(key));
    }

    /// <summary>Creates the autoscaler's ServiceAccount, Role and RoleBinding when missing; false when the reconcile must stop.</summary>
    private bool ReconcileAutoscalerRbac(RayClusterSpec cluster, JsonObject raw)
    {
        var options = new WriteOptions { FieldManager = FieldManager };
        var account = KubeRayBuilder.AutoscalerServiceAccountName(cluster);
        if (Store.TryGet(Gvr.ServiceAccounts, cluster.Namespace, account) is null)
        {
            if (JsonNodes.StringAt(cluster.HeadTemplate, "spec", "serviceAccountName") == account)
            {
                return false; // a ServiceAccount the user named must be created by the user
            }
            if (!CreateOwned(Gvr.ServiceAccounts, KubeRayBuilder.BuildAutoscalerServiceAccount(cluster), options, raw,
                    CreatedServiceAccount, FailedToCreateServiceAccount, "service account"))
            {
                return false;
            }
        }
        var name = KubeNames.CheckName(cluster.Name);
        if (Store.TryGet(Gvr.Roles, cluster.Namespace, name) is null
            && !CreateOwned(Gvr.Roles, KubeRayBuilder.BuildAutoscalerRole(cluster), options, raw, CreatedRole, FailedToCreateRole, "role"))
        {
            return false;
        }
        if (Store.TryGet(Gvr.RoleBindings, cluster.Namespace, name) is null
            && !CreateOwned(Gvr.RoleBindings, KubeRayBuilder.BuildAutoscalerRoleBinding(cluster), options, raw, CreatedRoleBinding, FailedToCreateRoleBinding,
                "role binding"))
        {
            return false;
        }
        return true;
    }

    private bool CreateOwned(Gvr gvr, JsonObject obj, WriteOptions options, JsonObject cluster, string createdReason, string failedReason, string what)
    {
        var ns = ObjectMeta.Namespace(obj);
        var name = ObjectMeta.Name(obj);
        try
        {
            Store.Create(gvr, obj, options);
            ClusterEvents.Record(Store, cluster, "Normal", createdReason, $"Created {what} {ns}/{name}", ControllerComponent);
            return true;
        }
        catch (ApiException ex) when (ex.Code == 409)
        {
            return true;
        }
        catch (ApiException ex)
        {
            ClusterEvents.Record(Store, cluster, "Warning", failedReason, $"Failed to create {what} {ns}/{name}, {ex.Message}", ControllerComponent);
            return false;
        }
    }

    private ReconcileFailure? Execute(RayClusterSpec cluster, JsonObject raw, RayClusterPlan plan)
    {
        ReconcileFailure? failure = null;
        var options = new WriteOptions { FieldManager = FieldManager };
        foreach (var svc in plan.ServicesToCreate)
        {
            try
            {
                var created = Store.Create(Gvr.Services, svc, options);
                _services.Put(KeyOf(cluster.Namespace, cluster.Name), created);
                ClusterEvents.Record(Store, raw, "Normal", CreatedService, $"Created service {cluster.Namespace}/{ObjectMeta.Name(created)}", ControllerComponent);
            }
            catch (ApiException ex) when (ex.Code != 409)
            {
                ClusterEvents.Record(Store, raw, "Warning", FailedToCreateService,
                    $"Failed to create service {cluster.Namespace}/{ObjectMeta.Name(svc)}, {ex.Message}", ControllerComponent);
                failure ??= new ReconcileFailure(FailedCreateHeadServiceReason, ex.Message);
            }
            catch (ApiException)
            {
                // Exists already (created concurrently).
            }
        }
        foreach (var delete in plan.PodsToDelete)
        {
            try
            {
                var deleted = Store.Delete(Gvr.Pods, cluster.Namespace, delete.Name);
                if (plan.DeleteAllForSuspension)
                {
                    continue; // the cache learns of it from the watch
                }
                var cacheKey = KeyOf(cluster.Namespace, cluster.Name);
                // A pod on no node is removed at once (its answer carries a deletionTimestamp all the same).
                if (Store.TryGet(Gvr.Pods, cluster.Namespace, delete.Name) is { } terminating && ObjectMeta.Uid(terminating) == ObjectMeta.Uid(deleted))
                {
                    _pods.Put(cacheKey, terminating);
                }
                else
                {
                    _pods.Remove(cacheKey, deleted, force: true);
                }
                ClusterEvents.Record(Store, raw, "Normal", delete.Type == RayNodeType.Head ? DeletedHeadPod : DeletedWorkerPod, delete.EventMessage,
                    ControllerComponent);
            }
            catch (ApiException ex) when (ex.Code == 404)
            {
            }
            catch (ApiException ex) when (plan.DeleteAllForSuspension)
            {
                ClusterEvents.Record(Store, raw, "Warning", FailedToDeletePodCollection,
                    $"Failed deleting Pods due to suspension for RayCluster {cluster.Namespace}/{cluster.Name}, {ex.Message}", ControllerComponent);
                return new ReconcileFailure(FailedDeleteAllPodsReason, ex.Message);
            }
            catch (ApiException ex)
            {
                ClusterEvents.Record(Store, raw, "Warning", FailedToDeleteWorkerPod, $"Failed deleting Pod {cluster.Namespace}/{delete.Name}, {ex.Message}",
                    ControllerComponent);
                failure ??= new ReconcileFailure(FailedDeleteWorkerPodReason, ex.Message);
            }
        }
        if (plan.DeleteAllForSuspension && failure is null)
        {
            ClusterEvents.Record(Store, raw, "Normal", DeletedPod, $"Deleted Pods for RayCluster {cluster.Namespace}/{cluster.Name} due to suspension",
                ControllerComponent);
        }
        foreach (var create in plan.PodsToCreate)
        {
            var head = create.Type == RayNodeType.Head;
            try
            {
                var pod = Store.Create(Gvr.Pods, create.Pod, options);
                _pods.Put(KeyOf(cluster.Namespace, cluster.Name), pod);
                ClusterEvents.Record(Store, raw, "Normal", head ? CreatedHeadPod : CreatedWorkerPod,
                    $"Created {(head ? "head" : "worker")} Pod {cluster.Namespace}/{ObjectMeta.Name(pod)}", ControllerComponent);
            }
            catch (ApiException ex)
            {
                ClusterEvents.Record(Store, raw, "Warning", head ? FailedToCreateHeadPod : FailedToCreateWorkerPod,
                    $"Failed to create {(head ? "head" : "worker")} Pod {cluster.Namespace}/{JsonNodes.StringAt(create.Pod, "metadata", "generateName")}, {ex.Message}",
                    ControllerComponent);
                failure ??= new ReconcileFailure(head ? FailedCreateHeadPodReason : FailedCreateWorkerPodReason, ex.Message);
                if (!head)
                {
                    break; // the same template fails the same way: report once per reconcile
                }
            }
        }
        return failure;
    }

    private void UpdateStatus(RayClusterSpec cluster, List<JsonObject> pods, List<JsonObject> services, ReconcileFailure? failure)
    {
        var now = _time.GetUtcNow();
        var status = RayClusterStatusBuilder.Compute(cluster, pods, services, failure, now);
        if (!RayClusterStatusBuilder.Differs(cluster.Object["status"] as JsonObject, status))
        {
            return;
        }
        status["lastUpdateTime"] = ObjectMeta.Timestamp(now);
        var written = Store.Mutate(Gvr.RayClusters, cluster.Namespace, cluster.Name, obj =>
        {
            if (ObjectMeta.Uid(obj) != cluster.Uid)
            {
                return false;
            }
            obj["status"] = status;
            return true;
        }, FieldManager, "status");
        PutCluster(KeyOf(cluster.Namespace, cluster.Name), written);
        // Like KubeRay: a changed status requeues the cluster after 2 s, which is what moves a suspension
        // from Suspending to deleting the pods, and a resumption from Suspended to creating them.
        EnqueueAfter(KeyOf(cluster.Namespace, cluster.Name), _options.Seconds(StatusRequeueSeconds));
    }

    /// <summary>
    /// Installs Deployment kube-system/kuberay-operator once per installed CRD (like the Helm chart
    /// that ships both) and removes it when the CRD goes away.
    /// </summary>
    private void ReconcileOperator()
    {
        var existing = Store.TryGet(Gvr.Deployments, OperatorNamespace, OperatorName);
        if (InstalledCrd is { } crd)
        {
            if (_installedForCrd == ObjectMeta.Uid(crd))
            {
                return;
            }
            _installedForCrd = ObjectMeta.Uid(crd);
            if (existing is null)
            {
                try
                {
                    Store.Create(Gvr.Deployments, KubeRayBuilder.BuildOperatorDeployment(), new WriteOptions { FieldManager = "helm" });
                }
                catch (ApiException ex) when (ex.Code == 409)
                {
                }
            }
            foreach (var cluster in Clusters())
            {
                Enqueue(KeyOf(ObjectMeta.Namespace(cluster), ObjectMeta.Name(cluster)));
            }
        }
        else
        {
            _installedForCrd = null;
            if (existing is not null && ObjectMeta.DeletionTimestamp(existing) is null)
            {
                Store.Delete(Gvr.Deployments, OperatorNamespace, OperatorName);
            }
        }
    }
}
