using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Store;

/// <summary>
/// The Go struct field order of the built-in types the sandbox returns most, so their JSON reads
/// like the apiserver's (encoding/json writes struct fields in declaration order).
/// </summary>
internal static class BuiltinShapes
{
    /// <summary>Key order for an object and the shapes of its children (applied to array items too); Go maps sort their keys.</summary>
    internal sealed record Shape(string[] Order, Dictionary<string, Shape>? Children = null, bool Sorted = false)
    {
        /// <summary>Each listed key's place (the last listing wins, as in <see cref="JsonNodes.OrderKeys"/>).</summary>
        public Dictionary<string, int> Rank { get; } = RankOf(Order);

        private static Dictionary<string, int> RankOf(string[] order)
        {
            var rank = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < order.Length; i++)
            {
                rank[order[i]] = i;
            }
            return rank;
        }
    }

    private static readonly Shape GoMap = new([], null, Sorted: true);
    private static readonly Shape Selector = new(["matchLabels", "matchExpressions"], new() { ["matchLabels"] = GoMap });

    private static readonly Shape OwnerReference = new(["apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"]);
    private static readonly Shape ManagedField = new(["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource"]);

    private static readonly Shape Meta = new(ObjectMeta.FieldOrder, new()
    {
        ["labels"] = GoMap,
        ["annotations"] = GoMap,
        ["ownerReferences"] = OwnerReference,
        ["managedFields"] = ManagedField,
    });

    private static readonly Shape Probe = new(["exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "timeoutSeconds", "periodSeconds",
        "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"]);

    private static readonly Shape Container = new(
        ["name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources", "resizePolicy", "restartPolicy", "volumeMounts",
            "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath", "terminationMessagePolicy",
            "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty"],
        new()
        {
            ["ports"] = new(["name", "hostPort", "containerPort", "protocol", "hostIP"]),
            ["env"] = new(["name", "value", "valueFrom"]),
            ["resources"] = new(["limits", "requests", "claims"], new() { ["limits"] = GoMap, ["requests"] = GoMap }),
            ["volumeMounts"] = new(["name", "readOnly", "recursiveReadOnly", "mountPath", "subPath", "mountPropagation", "subPathExpr"]),
            ["livenessProbe"] = Probe,
            ["readinessProbe"] = Probe,
            ["startupProbe"] = Probe,
        });

    private static readonly Shape PodSpec = new(
        ["volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy", "terminationGracePeriodSeconds", "activeDeadlineSeconds",
            "dnsPolicy", "nodeSelector", "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "nodeName", "hostNetwork", "hostPID",
            "hostIPC", "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname", "subdomain", "affinity", "schedulerName", "tolerations",
            "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates", "runtimeClassName", "enableServiceLinks", "preemptionPolicy",
            "overhead", "topologySpreadConstraints", "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources"],
        new()
        {
            ["initContainers"] = Container,
            ["containers"] = Container,
            ["ephemeralContainers"] = Container,
            ["tolerations"] = new(["key", "operator", "value", "effect", "tolerationSeconds"]),
            ["nodeSelector"] = GoMap,
        });

    private static readonly Shape Condition = new(["type", "status", "observedGeneration", "lastProbeTime", "lastHeartbeatTime", "lastUpdateTime", "lastTransitionTime", "reason", "message"]);

    private static readonly Shape PodStatus = new(
        ["observedGeneration", "phase", "conditions", "message", "reason", "nominatedNodeName", "hostIP", "hostIPs", "podIP", "podIPs", "startTime",
            "initContainerStatuses", "containerStatuses", "qosClass", "ephemeralContainerStatuses", "resize", "resourceClaimStatuses"],
        new() { ["conditions"] = Condition });

    private static readonly Shape PodTemplate = new(["metadata", "spec"], new() { ["metadata"] = Meta, ["spec"] = PodSpec });

    private static Shape Top(Shape? spec = null, Shape? status = null, params string[] extra)
    {
        var children = new Dictionary<string, Shape> { ["metadata"] = Meta };
        if (spec is not null)
        {
            children["spec"] = spec;
        }
        if (status is not null)
        {
            children["status"] = status;
        }
        return new Shape(["kind", "apiVersion", "metadata", .. extra, "spec", "status"], children);
    }

    private static readonly Dictionary<string, Shape> ByResource = new(StringComparer.Ordinal)
    {
        ["pods"] = Top(PodSpec, PodStatus),
        ["deployments"] = Top(
            new(["replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit", "paused", "progressDeadlineSeconds"],
                new() { ["selector"] = Selector, ["template"] = PodTemplate, ["strategy"] = new(["type", "rollingUpdate"], new() { ["rollingUpdate"] = new(["maxUnavailable", "maxSurge"]) }) }),
            new(["observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas", "terminatingReplicas",
                "conditions", "collisionCount"], new() { ["conditions"] = Condition })),
        ["replicasets"] = Top(
            new(["replicas", "minReadySeconds", "selector", "template"], new() { ["selector"] = Selector, ["template"] = PodTemplate }),
            new(["replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "terminatingReplicas", "observedGeneration", "conditions"])),
        ["services"] = Top(
            new(["ports", "selector", "clusterIP", "clusterIPs", "type", "externalIPs", "sessionAffinity", "loadBalancerIP", "loadBalancerSourceRanges",
                "externalName", "externalTrafficPolicy", "healthCheckNodePort", "publishNotReadyAddresses", "sessionAffinityConfig", "ipFamilies",
                "ipFamilyPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass", "internalTrafficPolicy", "trafficDistribution"],
                new() { ["ports"] = new(["name", "protocol", "appProtocol", "port", "targetPort", "nodePort"]), ["selector"] = GoMap })),
        ["events"] = new(["kind", "apiVersion", "metadata", "involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count",
            "type", "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance"], new() { ["metadata"] = Meta }),
        ["endpoints"] = new(["kind", "apiVersion", "metadata", "subsets"], new()
        {
            ["metadata"] = Meta,
            ["subsets"] = new(["addresses", "notReadyAddresses", "ports"], new()
            {
                ["addresses"] = new(["ip", "hostname", "nodeName", "targetRef"], new() { ["targetRef"] = new(["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"]) }),
                ["notReadyAddresses"] = new(["ip", "hostname", "nodeName", "targetRef"], new() { ["targetRef"] = new(["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"]) }),
                ["ports"] = new(["name", "port", "protocol", "appProtocol"]),
            }),
        }),
        ["configmaps"] = new(["kind", "apiVersion", "metadata", "immutable", "data", "binaryData"], new() { ["metadata"] = Meta, ["data"] = GoMap, ["binaryData"] = GoMap }),
        ["secrets"] = new(["kind", "apiVersion", "metadata", "immutable", "data", "stringData", "type"], new() { ["metadata"] = Meta, ["data"] = GoMap }),
    };

    private static readonly Shape Default = Top();

    public static void Arrange(string resource, JsonObject obj) => Apply(ByResource.GetValueOrDefault(resource) ?? Default, obj);

    /// <summary>Whether ordering by <paramref name="shape"/> would leave <paramref name="obj"/> as it is (unlisted keys keep their order, last).</summary>
    private static bool InShapeOrder(Shape shape, JsonObject obj)
    {
        var previous = -1;
        var position = 0;
        foreach (var (key, _) in obj)
        {
            var rank = shape.Rank.TryGetValue(key, out var r) ? r : shape.Order.Length + position;
            if (rank < previous)
            {
                return false;
            }
            previous = rank;
            position++;
        }
        return true;
    }

    private static void Apply(Shape shape, JsonObject obj)
    {
        // Objects are mostly arranged already (stored objects always are): reorder only what is out of place.
        if (shape.Sorted)
        {
            if (!JsonNodes.KeysSorted(obj))
            {
                JsonNodes.OrderKeys(obj, obj.Select(p => p.Key).Order(StringComparer.Ordinal).ToList());
            }
            return;
        }
        if (!InShapeOrder(shape, obj))
        {
            JsonNodes.OrderKeys(obj, shape.Order);
        }
        if (shape.Children is null)
        {
            return;
        }
        foreach (var (key, child) in shape.Children)
        {
            switch (obj[key])
            {
                case JsonObject nested:
                    Apply(child, nested);
                    break;
                case JsonArray items:
                    foreach (var item in items.OfType<JsonObject>())
                    {
                        Apply(child, item);
                    }
                    break;
            }
        }
    }
}
