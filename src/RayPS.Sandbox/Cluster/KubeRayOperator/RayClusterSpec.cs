using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Cluster;

/// <summary>A read-only view of a RayCluster object's spec with KubeRay's defaults applied.</summary>
internal sealed class RayClusterSpec
{
    public RayClusterSpec(JsonObject cluster)
    {
        Object = cluster;
        Name = ObjectMeta.Name(cluster);
        Namespace = ObjectMeta.Namespace(cluster) ?? "default";
        Uid = ObjectMeta.Uid(cluster);
        Spec = cluster["spec"] as JsonObject ?? new JsonObject();
        Head = Spec["headGroupSpec"] as JsonObject ?? new JsonObject();
        Groups = (Spec["workerGroupSpecs"] as JsonArray)?.OfType<JsonObject>().Select(g => new WorkerGroup(g)).ToList() ?? [];
    }

    public JsonObject Object { get; }
    public string Name { get; }
    public string Namespace { get; }
    public string Uid { get; }
    public JsonObject Spec { get; }
    public JsonObject Head { get; }
    public IReadOnlyList<WorkerGroup> Groups { get; }

    public long Generation => ObjectMeta.Generation(Object);

    public string RayVersion => JsonNodes.GetString(Spec["rayVersion"]) is { Length: > 0 } v ? v : KubeRayConstants.DefaultRayVersion;

    public bool Autoscaling => JsonNodes.GetBool(Spec["enableInTreeAutoscaling"]) == true;

    public bool Suspend => JsonNodes.GetBool(Spec["suspend"]) == true;

    public bool Deleting => ObjectMeta.DeletionTimestamp(Object) is not null;

    public JsonObject? HeadTemplate => Head["template"] as JsonObject;

    public Dictionary<string, string> HeadStartParams => StringMap(Head["rayStartParams"] as JsonObject);

    /// <summary>utils.GenerateHeadServiceName: headService.metadata.name or "&lt;cluster&gt;-head-svc".</summary>
    public string HeadServiceName =>
        JsonNodes.StringAt(Head, "headService", "metadata", "name") is { Length: > 0 } n ? n : Name + "-head-svc";

    public string FqdnHeadService => $"{HeadServiceName}.{Namespace}.svc.{KubeRayConstants.ClusterDomain}";

    /// <summary>utils.GetHeadPort: rayStartParams["port"] or 6379.</summary>
    public string HeadPort => HeadStartParams.TryGetValue("port", out var p) && p.Length > 0 ? p : KubeRayConstants.DefaultGcsServerPort.ToString(CultureInfo.InvariantCulture);

    public JsonObject? HeadRayContainer => (HeadTemplate?["spec"]?["containers"] as JsonArray)?.FirstOrDefault() as JsonObject;

    public IReadOnlyDictionary<string, string> Annotations => ObjectMeta.ToStringMap(ObjectMeta.Annotations(Object));

    public bool FaultToleranceEnabled =>
        Spec["gcsFaultToleranceOptions"] is JsonObject
        || (Annotations.TryGetValue(KubeRayConstants.FtEnabledAnnotation, out var ft) && string.Equals(ft, "true", StringComparison.OrdinalIgnoreCase));

    public JsonObject OwnerReference() => new()
    {
        ["apiVersion"] = "ray.io/v1",
        ["kind"] = "RayCluster",
        ["name"] = Name,
        ["uid"] = Uid,
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    public static Dictionary<string, string> StringMap(JsonObject? map) => ObjectMeta.ToStringMap(map);
}

/// <summary>One entry of spec.workerGroupSpecs.</summary>
internal sealed class WorkerGroup(JsonObject group)
{
    public JsonObject Object { get; } = group;

    public string GroupName => JsonNodes.GetString(Object["groupName"]) ?? "";

    public int? Replicas => (int?)JsonNodes.GetInteger(Object["replicas"]);

    public int MinReplicas => (int)(JsonNodes.GetInteger(Object["minReplicas"]) ?? 0);

    public int MaxReplicas => (int)(JsonNodes.GetInteger(Object["maxReplicas"]) ?? int.MaxValue);

    public int NumOfHosts => (int)(JsonNodes.GetInteger(Object["numOfHosts"]) ?? 1);

    public bool Suspend => JsonNodes.GetBool(Object["suspend"]) == true;

    public JsonObject? Template => Object["template"] as JsonObject;

    public Dictionary<string, string> StartParams => RayClusterSpec.StringMap(Object["rayStartParams"] as JsonObject);

    public IReadOnlyList<string> WorkersToDelete =>
        (JsonNodes.At(Object, "scaleStrategy", "workersToDelete") as JsonArray)?.Select(n => JsonNodes.GetString(n) ?? "").Where(s => s.Length > 0).ToList() ?? [];

    /// <summary>utils.GetWorkerGroupDesiredReplicas: replicas clamped to [min, max], times numOfHosts; 0 when suspended.</summary>
    public int DesiredReplicas
    {
        get
        {
            if (Suspend)
            {
                return 0;
            }
            int replicas;
            if (MinReplicas > MaxReplicas)
            {
                replicas = MaxReplicas;
            }
            else if (Replicas is null || Replicas < MinReplicas)
            {
                replicas = MinReplicas;
            }
            else if (Replicas > MaxReplicas)
            {
                replicas = MaxReplicas;
            }
            else
            {
                replicas = Replicas.Value;
            }
            return (int)Math.Min((long)replicas * NumOfHosts, int.MaxValue);
        }
    }
}
