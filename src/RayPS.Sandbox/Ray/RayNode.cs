using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Ray;

/// <summary>A Ray node's lifecycle state in GCS.</summary>
public enum RayNodeState
{
    Alive,
    Dead,
}

/// <summary>What the kubelet knows when a container runs <c>ray start</c>.</summary>
internal sealed record RayProcessStart(
    string Namespace,
    string PodName,
    string PodUid,
    string PodIp,
    string ContainerName,
    ParsedRayStart Start,
    JsonObject Container,
    JsonObject Pod);

/// <summary>One Ray node (a raylet) as GCS knows it; DEAD nodes stay listed under their old id.</summary>
public sealed class RayNode
{
    internal RayNode(string nodeId, string ip, string hostname, bool isHead, SortedDictionary<string, double> resources,
        Dictionary<string, string> labels, long startTimeMs)
    {
        NodeId = nodeId;
        Ip = ip;
        Hostname = hostname;
        IsHead = isHead;
        Resources = resources;
        Labels = labels;
        StartTimeMs = startTimeMs;
    }

    public string NodeId { get; }
    public string Ip { get; }

    /// <summary>The pod name (Ray reports the host name).</summary>
    public string Hostname { get; }

    public bool IsHead { get; }

    /// <summary>Total resources with Ray's raw names (object_store_memory, node:__internal_head__, ...).</summary>
    public SortedDictionary<string, double> Resources { get; }

    public Dictionary<string, string> Labels { get; }
    public long StartTimeMs { get; }
    public RayNodeState State { get; internal set; } = RayNodeState.Alive;
    public long EndTimeMs { get; internal set; }

    /// <summary>deathInfo.reason (EXPECTED_TERMINATION, UNEXPECTED_TERMINATION, ...) when DEAD.</summary>
    public string? DeathReason { get; internal set; }

    public string? DeathMessage { get; internal set; }

    public string PodNamespace { get; init; } = "";
    public string PodName { get; init; } = "";
    public string PodUid { get; init; } = "";
    public string GroupName { get; init; } = "";
    public int AgentPort { get; init; } = KubeRayConstants.DefaultDashboardAgentListenPort;
    public int DashboardPort { get; init; } = KubeRayConstants.DefaultDashboardPort;
    public bool IncludeDashboard { get; init; } = true;
    public int MetricsExportPort { get; init; } = KubeRayConstants.DefaultMetricsPort;
    public int NodeManagerPort { get; init; }
    public int ObjectManagerPort { get; init; } = 8076;
    public int RuntimeEnvAgentPort { get; init; }
    public string RayVersion { get; init; } = KubeRayConstants.DefaultRayVersion;

    /// <summary>Memory (bytes) the node's host reports; the container limit when set.</summary>
    public double HostMemory { get; init; }

    /// <summary>Logical CPUs the node's host reports.</summary>
    public int HostCpus { get; init; }

    // Live faults from the pod's annotations.
    public bool RayletHealthy { get; internal set; } = true;
    public bool GcsHealthy { get; internal set; } = true;
    public int ProbeLatencyMs { get; internal set; }

    /// <summary>Runs tasks or actors besides what jobs use (the <see cref="SandboxAnnotations.RayBusy"/> fault).</summary>
    public bool Busy { get; internal set; }

    /// <summary><c>state_message</c>: composed from the death info (compose_state_message).</summary>
    public string? StateMessage
    {
        get
        {
            if (State == RayNodeState.Alive)
            {
                return null;
            }
            string? prefix = DeathReason switch
            {
                "EXPECTED_TERMINATION" => "Expected termination",
                "UNEXPECTED_TERMINATION" => "Unexpected termination",
                "AUTOSCALER_DRAIN_PREEMPTED" => "Terminated due to preemption",
                "AUTOSCALER_DRAIN_IDLE" => "Terminated due to idle (no Ray activity)",
                _ => null,
            };
            if (!string.IsNullOrEmpty(DeathMessage))
            {
                return prefix is null ? DeathMessage : prefix + ": " + DeathMessage;
            }
            return prefix;
        }
    }

    internal static string NewNodeId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(28)).ToLowerInvariant();
}

/// <summary>How <c>ray start</c> resolves a node's resources (ResourceSpec.resolve) on a simulated host.</summary>
internal static class RayResources
{
    public const double DefaultHostMemory = 16d * 1024 * 1024 * 1024;
    public const int DefaultHostCpus = 8;
    private const double MaxObjectStore = 200e9;

    /// <summary>The resources_total of a node started with these options in this container.</summary>
    public static SortedDictionary<string, double> Resolve(ParsedRayStart start, JsonObject container, string ip, bool isHead,
        out double hostMemory, out int hostCpus)
    {
        var limits = JsonNodes.At(container, "resources", "limits") as JsonObject;
        var requests = JsonNodes.At(container, "resources", "requests") as JsonObject;
        var memLimit = RayStartCommand.QuantityValue(limits?["memory"]);
        hostMemory = memLimit is > 0 ? (double)memLimit.Value : DefaultHostMemory;
        var cpuLimit = RayStartCommand.QuantityValue(limits?["cpu"]) ?? RayStartCommand.QuantityValue(requests?["cpu"]);
        hostCpus = cpuLimit is > 0 ? (int)Math.Ceiling((double)cpuLimit.Value) : DefaultHostCpus;

        var r = new SortedDictionary<string, double>(StringComparer.Ordinal);
        r["CPU"] = Number(start.Get("num-cpus")) ?? hostCpus;
        double gpus = Number(start.Get("num-gpus")) ?? 0;
        if (start.Get("num-gpus") is null && limits is not null)
        {
            foreach (var (name, value) in limits.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (name.EndsWith("gpu", StringComparison.Ordinal) && RayStartCommand.QuantityValue(value) is { } g && g > 0)
                {
                    gpus = (double)g;
                    break;
                }
            }
        }
        r["GPU"] = gpus;
        var objectStore = Number(start.Get("object-store-memory")) ?? Math.Floor(Math.Min(hostMemory * 0.3, MaxObjectStore));
        r["object_store_memory"] = objectStore;
        r["memory"] = Number(start.Get("memory")) ?? Math.Floor(hostMemory * 0.7);
        if (RayStartCommand.ParseResourcesJson(start.Get("resources")) is { } custom)
        {
            foreach (var (k, v) in custom)
            {
                r[k] = v;
            }
        }
        r["node:" + ip] = 1;
        if (isHead)
        {
            r["node:__internal_head__"] = 1;
        }
        foreach (var zero in r.Where(kv => kv.Value == 0).Select(kv => kv.Key).ToList())
        {
            r.Remove(zero);
        }
        return r;
    }

    private static double? Number(string? text) =>
        double.TryParse(text?.Trim('\'', '"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    /// <summary>User labels from <c>--labels</c> (JSON or <c>k=v,k2=v2</c>).</summary>
    public static Dictionary<string, string> ParseLabels(string? text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            return labels;
        }
        var trimmed = text.Trim().Trim('\'');
        if (trimmed.StartsWith('{'))
        {
            try
            {
                if (System.Text.Json.JsonDocument.Parse(trimmed).RootElement is { ValueKind: System.Text.Json.JsonValueKind.Object } obj)
                {
                    foreach (var p in obj.EnumerateObject())
                    {
                        labels[p.Name] = p.Value.ToString();
                    }
                }
            }
            catch (System.Text.Json.JsonException)
            {
            }
            return labels;
        }
        foreach (var pair in trimmed.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                labels[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
            }
        }
        return labels;
    }
}
