using RayPS.Model;
using RayPS.Ray;

namespace RayPS.Operations;

/// <summary>Shapes the evidence and verdict of one node into the <see cref="RayNodeHealth"/> a user sees.</summary>
internal static class NodeHealthRows
{
    public const string Unknown = "Unknown";

    public static RayNodeHealth Build(string cluster, string ns, NodeEvidence e, NodeHealthDeployments deployments, string? context)
    {
        var verdict = NodeHealthRules.Evaluate(e);
        var pod = e.Pod;
        var node = e.RayNode;
        var resources = node?.Resources ?? new Dictionary<string, double>();
        var deployment = pod is null ? null : deployments.DeploymentOf(pod);
        var isHead = pod?.IsHead ?? node?.IsHead ?? false;
        return new RayNodeHealth
        {
            ClusterName = cluster,
            Namespace = ns,
            PodName = pod?.Name ?? "",
            NodeType = isHead ? "head" : "worker",
            GroupName = pod?.Group ?? deployments.GroupOf(deployment) ?? node?.Labels.GetValueOrDefault(KubeRayNames.NodeGroupLabel),
            Kind = KindOf(pod),
            DeploymentName = deployment,
            PodPhase = pod?.Phase,
            Ready = pod?.Ready,
            Restarts = pod?.Restarts ?? 0,
            LastTermination = pod?.LastTermination?.Reason,
            LastTerminationTime = pod?.LastTermination?.FinishedAt,
            LastTerminationExitCode = pod?.LastTermination?.ExitCode,
            NodeName = pod?.NodeName,
            PodIP = pod?.PodIP ?? node?.Ip,
            PodCreated = pod?.Created,
            RayletHealthy = e.Raylet is null or { Outcome: HealthCheckOutcome.Forbidden } ? null : e.Raylet.Passed,
            GcsHealthy = !isHead || e.Gcs is null or { Outcome: HealthCheckOutcome.Forbidden } ? null : e.Gcs.Passed,
            RayNodeState = e.RayStateKnown ? node?.State : Unknown,
            RayStateMessage = node?.StateMessage,
            RayNodeId = node?.NodeId,
            RayNodeStartTime = node?.StartTime,
            RayNodeEndTime = node?.EndTime,
            Cpu = resources.TryGetValue(RayResourceNames.Cpu, out var cpu) ? cpu : null,
            Gpu = resources.TryGetValue(RayResourceNames.Gpu, out var gpu) ? gpu : null,
            Npu = resources.TryGetValue(RayResourceNames.Npu, out var npu) ? npu : null,
            Memory = resources.TryGetValue(RayResourceNames.Memory, out var memory) ? (long)memory : null,
            ObjectStoreMemory = resources.TryGetValue(RayResourceNames.ObjectStoreMemory, out var store) ? (long)store : null,
            Custom = resources
                .Where(r => r.Key is not (RayResourceNames.Cpu or RayResourceNames.Gpu or RayResourceNames.Npu or RayResourceNames.Memory or RayResourceNames.ObjectStoreMemory)
                            && !RayResourceNames.IsNodeMarker(r.Key))
                .ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal),
            Status = verdict.Status,
            Reason = verdict.Reason,
            Context = context,
            CheckedAt = e.Now,
        };
    }

    private static string KindOf(RayPodFacts? pod) => pod?.OwnerKind switch
    {
        null when pod is null => "",
        null => "Pod",
        "ReplicaSet" => "Deployment",
        var kind => kind,
    };

    /// <summary>Head first, then workers by group and name, then the Ray nodes no pod has.</summary>
    public static IReadOnlyList<RayNodeHealth> Sort(IEnumerable<RayNodeHealth> rows) => rows
        .OrderBy(r => r.PodName.Length == 0)
        .ThenBy(r => r.NodeType != "head")
        .ThenBy(r => r.GroupName ?? "", StringComparer.Ordinal)
        .ThenBy(r => r.PodName, StringComparer.Ordinal)
        .ThenBy(r => r.PodIP ?? "", StringComparer.Ordinal)
        .ThenBy(r => r.RayNodeId ?? "", StringComparer.Ordinal)
        .ToList();
}
