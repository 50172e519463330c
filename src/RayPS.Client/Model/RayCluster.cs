using System.Text.Json.Nodes;
using RayPS.Model;

namespace RayPS;

/// <summary>A RayCluster as RayPS shows it: the spec's shape and the operator's status, flattened for the pipeline.</summary>
public sealed class RayCluster
{
    public string Name { get; init; } = "";
    public string Namespace { get; init; } = "";
    /// <summary>Same as Name; lets cmdlets with -ClusterName take RayCluster objects from the pipeline.</summary>
    public string ClusterName => Name;
    public string? State { get; init; }
    public string? Reason { get; init; }
    public string? RayVersion { get; init; }
    public string? Image { get; init; }
    public int DesiredWorkers { get; init; }
    public int ReadyWorkers { get; init; }
    public int AvailableWorkers { get; init; }
    public int MinWorkers { get; init; }
    public int MaxWorkers { get; init; }
    public string? DesiredCpu { get; init; }
    public string? DesiredMemory { get; init; }
    public string? DesiredGpu { get; init; }
    public string? DesiredTpu { get; init; }
    public string? HeadPodName { get; init; }
    public string? HeadPodIP { get; init; }
    public string? HeadServiceName { get; init; }
    public string? HeadServiceIP { get; init; }
    public string? HeadCpu { get; init; }
    public string? HeadMemory { get; init; }
    public bool AutoscalingEnabled { get; init; }
    public IReadOnlyList<RayClusterCondition> Conditions { get; init; } = Array.Empty<RayClusterCondition>();
    public IReadOnlyList<RayClusterWorkerGroup> WorkerGroups { get; init; } = Array.Empty<RayClusterWorkerGroup>();
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public DateTimeOffset? CreationTimestamp { get; init; }
    public long Generation { get; init; }
    public long ObservedGeneration { get; init; }
    public string? Uid { get; init; }
    public string? ResourceVersion { get; init; }
    public string? Context { get; init; }

    /// <summary>Age as kubectl prints it ("5m", "3h", "2d").</summary>
    public string Age => CreationTimestamp is { } t ? AgeFormatter.Format(DateTimeOffset.UtcNow - t) : "";

    /// <summary>The most telling condition ("RayClusterProvisioned", "HeadPodReady", ...), as kubectl ray prints it.</summary>
    public string? Condition =>
        Conditions.FirstOrDefault(c => c.Type == "RayClusterProvisioned" && c.Status == "True")?.Type
        ?? Conditions.FirstOrDefault(c => c.Status == "True")?.Type;

    /// <summary>The object as the API server returned it (for Export-RayCluster and advanced use).</summary>
    internal JsonObject Raw { get; init; } = new();

    /// <summary>The object as JSON text, as the API server returned it.</summary>
    public string ToJson() => Raw.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    public override string ToString() => $"{Namespace}/{Name}";

    public static RayCluster FromJson(JsonObject obj, string? context = null)
    {
        var spec = obj["spec"];
        var status = obj["status"];
        var groups = spec.Items("workerGroupSpecs").Select(g => RayClusterWorkerGroup.FromJson(g)).ToList();
        var headContainer = spec.Items("headGroupSpec.template.spec.containers").FirstOrDefault();
        return new RayCluster
        {
            Name = obj.Str("metadata.name") ?? "",
            Namespace = obj.Str("metadata.namespace") ?? "",
            State = status.Str("state"),
            Reason = status.Str("reason"),
            RayVersion = spec.Str("rayVersion"),
            Image = headContainer.Str("image"),
            DesiredWorkers = status.Int("desiredWorkerReplicas") ?? groups.Where(g => !g.Suspended).Sum(g => g.Replicas * g.NumOfHosts),
            ReadyWorkers = status.Int("readyWorkerReplicas") ?? 0,
            AvailableWorkers = status.Int("availableWorkerReplicas") ?? 0,
            MinWorkers = status.Int("minWorkerReplicas") ?? groups.Sum(g => g.MinReplicas * g.NumOfHosts),
            // maxReplicas defaults to int.MaxValue per group: sum in 64 bits and saturate, or two default groups overflow.
            MaxWorkers = status.Int("maxWorkerReplicas") ?? (int)Math.Min(int.MaxValue, groups.Sum(g => (long)g.MaxReplicas * g.NumOfHosts)),
            DesiredCpu = status.Str("desiredCPU"),
            DesiredMemory = status.Str("desiredMemory"),
            DesiredGpu = status.Str("desiredGPU"),
            DesiredTpu = status.Str("desiredTPU"),
            HeadPodName = status.Str("head.podName"),
            HeadPodIP = status.Str("head.podIP"),
            HeadServiceName = status.Str("head.serviceName"),
            HeadServiceIP = status.Str("head.serviceIP"),
            HeadCpu = headContainer.Str("resources.limits.cpu") ?? headContainer.Str("resources.requests.cpu"),
            HeadMemory = headContainer.Str("resources.limits.memory") ?? headContainer.Str("resources.requests.memory"),
            AutoscalingEnabled = spec.Bool("enableInTreeAutoscaling") ?? false,
            Conditions = status.Items("conditions").Select(RayClusterCondition.FromJson).ToList(),
            WorkerGroups = groups,
            Labels = obj.Map("metadata.labels"),
            CreationTimestamp = obj.Time("metadata.creationTimestamp"),
            Generation = obj.Int("metadata.generation") ?? 0,
            ObservedGeneration = status.Int("observedGeneration") ?? 0,
            Uid = obj.Str("metadata.uid"),
            ResourceVersion = obj.Str("metadata.resourceVersion"),
            Context = context,
            Raw = obj,
        };
    }
}

/// <summary>One entry of a RayCluster's spec.workerGroupSpecs.</summary>
public sealed class RayClusterWorkerGroup
{
    public string GroupName { get; init; } = "";

    /// <summary>Same as GroupName.</summary>
    public string Name => GroupName;

    public int Replicas { get; init; }
    public int MinReplicas { get; init; }
    public int MaxReplicas { get; init; }
    public int NumOfHosts { get; init; } = 1;
    public bool Suspended { get; init; }
    public string? Image { get; init; }

    /// <summary>CPU of one worker pod (limit, else request).</summary>
    public string? Cpu => Limits.GetValueOrDefault("cpu");

    /// <summary>Memory of one worker pod (limit, else request).</summary>
    public string? Memory => Limits.GetValueOrDefault("memory");

    /// <summary>GPUs of one worker pod (the first */gpu resource).</summary>
    public string? Gpu => Limits.Where(l => l.Key.EndsWith("/gpu", StringComparison.Ordinal)).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Value).FirstOrDefault();

    // A group inside a RayCluster sits at ConvertTo-Json's default depth (2), so dictionaries here would be cut to their
    // type name with a warning. JSON carries the summary above; Get-RayWorkerGroup's objects carry these in full.
    [Newtonsoft.Json.JsonIgnore]
    public IReadOnlyDictionary<string, string> Limits { get; init; } = new Dictionary<string, string>();

    [Newtonsoft.Json.JsonIgnore]
    public IReadOnlyDictionary<string, string> RayStartParams { get; init; } = new Dictionary<string, string>();

    public override string ToString() => $"{GroupName} ({Replicas})";

    internal static RayClusterWorkerGroup FromJson(JsonNode g)
    {
        var container = g.Items("template.spec.containers").FirstOrDefault();
        var limits = container.Map("resources.limits");
        foreach (var (k, v) in container.Map("resources.requests"))
        {
            limits.TryAdd(k, v);
        }
        return new RayClusterWorkerGroup
        {
            GroupName = g.Str("groupName") ?? "",
            Replicas = g.Int("replicas") ?? 0,
            MinReplicas = g.Int("minReplicas") ?? 0,
            MaxReplicas = g.Int("maxReplicas") ?? int.MaxValue,
            NumOfHosts = g.Int("numOfHosts") ?? 1,
            Suspended = g.Bool("suspend") ?? false,
            Image = container.Str("image"),
            Limits = limits,
            RayStartParams = g.Map("rayStartParams"),
        };
    }
}

public sealed class RayClusterCondition
{
    public string Type { get; init; } = "";
    public string Status { get; init; } = "";
    public string? Reason { get; init; }
    public string? Message { get; init; }
    public DateTimeOffset? LastTransitionTime { get; init; }

    public override string ToString() => $"{Type}={Status}";

    internal static RayClusterCondition FromJson(JsonNode c) => new()
    {
        Type = c.Str("type") ?? "",
        Status = c.Str("status") ?? "",
        Reason = c.Str("reason"),
        Message = c.Str("message"),
        LastTransitionTime = c.Time("lastTransitionTime"),
    };
}

internal static class AgeFormatter
{
    public static string Format(TimeSpan age)
    {
        if (age < TimeSpan.Zero) age = TimeSpan.Zero;
        if (age.TotalMinutes < 2) return $"{(int)age.TotalSeconds}s";
        if (age.TotalHours < 2) return $"{(int)age.TotalMinutes}m";
        if (age.TotalDays < 2) return $"{(int)age.TotalHours}h";
        return $"{(int)age.TotalDays}d";
    }
}
