using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Cluster;

/// <summary>The operator-side checks of KubeRay 1.4.2 (utils/validation.go) that the CRD schema does not enforce.</summary>
internal static partial class RayClusterValidator
{
    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035();

    /// <summary>ValidateRayClusterMetadata; null when valid.</summary>
    public static string? ValidateMetadata(RayClusterSpec cluster)
    {
        if (cluster.Name.Length > KubeRayConstants.MaxRayClusterNameLength)
        {
            return $"RayCluster name should be no more than {KubeRayConstants.MaxRayClusterNameLength} characters";
        }
        if (!Dns1035().IsMatch(cluster.Name))
        {
            return "RayCluster name should be a valid DNS1035 label: [a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                + "start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                + "'[a-z]([-a-z0-9]*[a-z0-9])?')]";
        }
        return null;
    }

    /// <summary>ValidateRayClusterSpec; null when valid.</summary>
    public static string? ValidateSpec(RayClusterSpec cluster)
    {
        if (JsonNodes.At(cluster.Head, "template", "spec", "containers") is not JsonArray { Count: > 0 })
        {
            return "headGroupSpec should have at least one container";
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in cluster.Groups)
        {
            if (JsonNodes.At(group.Object, "template", "spec", "containers") is not JsonArray { Count: > 0 })
            {
                return "workerGroupSpec should have at least one container";
            }
            if (!names.Add(group.GroupName))
            {
                return $"worker group names must be unique, but {group.GroupName} is duplicated";
            }
            if (group.MinReplicas < 0)
            {
                return $"worker group {group.GroupName} has negative minReplicas {group.MinReplicas}";
            }
            if (group.MinReplicas > group.MaxReplicas)
            {
                return $"worker group {group.GroupName} has minReplicas {group.MinReplicas} greater than maxReplicas {group.MaxReplicas}";
            }
            if (group.NumOfHosts <= 0)
            {
                return $"worker group {group.GroupName} has invalid numOfHosts {group.NumOfHosts}";
            }
            if (group.Suspend && cluster.Autoscaling)
            {
                return $"suspending worker groups is not supported with Autoscaler enabled (worker group {group.GroupName})";
            }
        }
        if (cluster.Annotations.ContainsKey(KubeRayConstants.FtEnabledAnnotation) && cluster.Spec["gcsFaultToleranceOptions"] is JsonObject)
        {
            return $"{KubeRayConstants.FtEnabledAnnotation} annotation and GcsFaultToleranceOptions are both set. "
                + "Please use only GcsFaultToleranceOptions to configure GCS fault tolerance";
        }
        if (!cluster.FaultToleranceEnabled && cluster.HeadRayContainer?["env"] is JsonArray env
            && env.OfType<JsonObject>().Any(e => JsonNodes.GetString(e["name"]) == "RAY_REDIS_ADDRESS"))
        {
            return "RAY_REDIS_ADDRESS is set which implicitly enables GCS fault tolerance, but GcsFaultToleranceOptions is not set. "
                + "Please set GcsFaultToleranceOptions to enable GCS fault tolerance";
        }
        return null;
    }
}
