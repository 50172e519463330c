using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.ControllerManager;

/// <summary>
/// Keeps an Endpoints object per Service with a selector: pods with an IP become addresses (ready)
/// or notReadyAddresses; service ports are resolved against container ports (named targetPorts too).
/// </summary>
internal sealed class EndpointsController(ObjectStore store) : Controller(store)
{
    public override string Name => "endpoint-controller";

    internal override void Observe(StoreEvent change)
    {
        var ns = ObjectMeta.Namespace(change.Object);
        if (change.StorageKey == "/services")
        {
            Enqueue(KeyOf(ns, ObjectMeta.Name(change.Object)));
        }
        else if (change.StorageKey == "/pods" && ns is not null && AffectsEndpoints(change))
        {
            foreach (var svc in Store.ListItems(Gvr.Services, ns))
            {
                Enqueue(KeyOf(ns, ObjectMeta.Name(svc)));
            }
        }
    }

    // Most pod writes are kubelet status updates that leave addresses, readiness and labels alone.
    private static bool AffectsEndpoints(StoreEvent change) =>
        change.Previous is not { } before || change.Type != WatchEvent.Modified
        || JsonNodes.StringAt(change.Object, "status", "podIP") != JsonNodes.StringAt(before, "status", "podIP")
        || IsReady(change.Object) != IsReady(before)
        || ObjectMeta.DeletionTimestamp(change.Object) != ObjectMeta.DeletionTimestamp(before)
        || JsonNodes.StringAt(change.Object, "spec", "nodeName") != JsonNodes.StringAt(before, "spec", "nodeName")
        || !JsonNodes.DeepEquals(ObjectMeta.Labels(change.Object), ObjectMeta.Labels(before));

    internal override void Resync()
    {
        foreach (var svc in Store.ListItems(Gvr.Services, null))
        {
            Enqueue(KeyOf(ObjectMeta.Namespace(svc), ObjectMeta.Name(svc)));
        }
    }

    private const string ManagedByLabel = "endpoints.kubernetes.io/managed-by";
    private const string ManagedBy = "endpoint-controller";

    protected override void Reconcile(string key)
    {
        var (ns, name) = SplitKey(key);
        var service = Store.TryGet(Gvr.Services, ns, name);
        var current = Store.TryGet(Gvr.Endpoints, ns, name);
        if (service is null)
        {
            if (current is not null && JsonNodes.StringAt(current, "metadata", "labels", ManagedByLabel) is null or ManagedBy)
            {
                Store.Delete(Gvr.Endpoints, ns, name);
            }
            return;
        }
        if (JsonNodes.At(service, "spec", "selector") is not JsonObject { Count: > 0 } selectorMap)
        {
            return;
        }
        var selector = LabelSelector.FromMap(ObjectMeta.ToStringMap(selectorMap));
        var publishNotReady = JsonNodes.GetBool(JsonNodes.At(service, "spec", "publishNotReadyAddresses")) == true;
        var servicePorts = (JsonNodes.At(service, "spec", "ports") as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var subsets = new List<(string PortsKey, JsonArray Ports, JsonArray Ready, JsonArray NotReady)>();
        var pods = Store.ListItems(Gvr.Pods, ns, new ListOptions { LabelSelector = selector.ToString() });
        foreach (var pod in pods.OrderBy(ObjectMeta.Name, StringComparer.Ordinal))
        {
            var ip = JsonNodes.StringAt(pod, "status", "podIP");
            if (string.IsNullOrEmpty(ip) || ObjectMeta.DeletionTimestamp(pod) is not null)
            {
                continue;
            }
            var ports = new JsonArray();
            foreach (var sp in servicePorts)
            {
                if (ResolveTargetPort(sp, pod) is { } target)
                {
                    var port = new JsonObject();
                    if (JsonNodes.GetString(sp["name"]) is { Length: > 0 } portName)
                    {
                        port["name"] = portName;
                    }
                    port["port"] = target;
                    port["protocol"] = JsonNodes.GetString(sp["protocol"]) ?? "TCP";
                    ports.Add(port);
                }
            }
            var address = new JsonObject { ["ip"] = ip };
            if (JsonNodes.StringAt(pod, "spec", "nodeName") is { Length: > 0 } node)
            {
                address["nodeName"] = node;
            }
            address["targetRef"] = new JsonObject
            {
                ["kind"] = "Pod",
                ["namespace"] = ns,
                ["name"] = ObjectMeta.Name(pod),
                ["uid"] = ObjectMeta.Uid(pod),
            };
            var portsKey = JsonText.Serialize(ports);
            var subset = subsets.FirstOrDefault(s => s.PortsKey == portsKey);
            if (subset.Ports is null)
            {
                subset = (portsKey, ports, [], []);
                subsets.Add(subset);
            }
            (IsReady(pod) || publishNotReady ? subset.Ready : subset.NotReady).Add(address);
        }
        var labels = new JsonObject();
        foreach (var (k, v) in ObjectMeta.Labels(service) ?? new JsonObject())
        {
            labels[k] = v?.DeepClone();
        }
        labels[ManagedByLabel] = ManagedBy;
        if (JsonNodes.StringAt(service, "spec", "clusterIP") == "None")
        {
            labels["service.kubernetes.io/headless"] = "";
        }
        var desired = new JsonObject
        {
            ["kind"] = "Endpoints",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                // When the change that produced these endpoints happened (here: when they are written).
                ["annotations"] = new JsonObject { ["endpoints.kubernetes.io/last-change-trigger-time"] = ObjectMeta.Timestamp(DateTimeOffset.UtcNow) },
            },
        };
        if (labels.Count > 0)
        {
            desired["metadata"]!["labels"] = labels;
        }
        if (subsets.Count > 0)
        {
            var list = new JsonArray();
            foreach (var s in subsets)
            {
                var item = new JsonObject();
                if (s.Ready.Count > 0) item["addresses"] = s.Ready;
                if (s.NotReady.Count > 0) item["notReadyAddresses"] = s.NotReady;
                item["ports"] = s.Ports;
                list.Add(item);
            }
            desired["subsets"] = list;
        }
        var options = new WriteOptions { FieldManager = "kube-controller-manager" };
        if (current is null)
        {
            Store.Create(Gvr.Endpoints, desired, options);
            return;
        }
        if (JsonNodes.DeepEquals(current["subsets"], desired["subsets"]) && JsonNodes.DeepEquals(ObjectMeta.Labels(current), desired["metadata"]!["labels"]))
        {
            return;
        }
        desired["metadata"]!["resourceVersion"] = ObjectMeta.ResourceVersion(current);
        Store.Update(Gvr.Endpoints, desired, options);
    }

    private static long? ResolveTargetPort(JsonObject servicePort, JsonObject pod)
    {
        var target = servicePort["targetPort"] ?? servicePort["port"];
        if (JsonNodes.GetInteger(target) is { } number)
        {
            return number;
        }
        var name = JsonNodes.GetString(target);
        if (name is null)
        {
            return null;
        }
        if (long.TryParse(name, out var parsed))
        {
            return parsed;
        }
        var protocol = JsonNodes.GetString(servicePort["protocol"]) ?? "TCP";
        return (JsonNodes.At(pod, "spec", "containers") as JsonArray)?.OfType<JsonObject>()
            .SelectMany(c => (c["ports"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Where(p => JsonNodes.GetString(p["name"]) == name && (JsonNodes.GetString(p["protocol"]) ?? "TCP") == protocol)
            .Select(p => JsonNodes.GetInteger(p["containerPort"]))
            .FirstOrDefault();
    }

    private static bool IsReady(JsonObject pod) =>
        (JsonNodes.At(pod, "status", "conditions") as JsonArray)?.OfType<JsonObject>()
            .Any(c => JsonNodes.GetString(c["type"]) == "Ready" && JsonNodes.GetString(c["status"]) == "True") == true;
}
