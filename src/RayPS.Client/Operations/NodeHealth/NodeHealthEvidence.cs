using RayPS.Model;
using RayPS.Ray;

namespace RayPS.Operations;

/// <summary>What was observed about one Ray node: the input of <see cref="NodeHealthRules.Evaluate"/>.</summary>
internal sealed class NodeEvidence
{
    /// <summary>The pod; null for a Ray node that no pod matches.</summary>
    public RayPodFacts? Pod { get; init; }

    /// <summary>The raylet probe; null when it was not run (pod not running, terminating, no IP).</summary>
    public HealthCheckResult? Raylet { get; init; }

    /// <summary>The cluster's GCS check (one per cluster); null when it was not run.</summary>
    public HealthCheckResult? Gcs { get; init; }

    /// <summary>The head's node list answered and can be trusted (GCS healthy); otherwise Ray state is Unknown.</summary>
    public bool RayStateKnown { get; init; }

    /// <summary>The Ray node matched to the pod (by IP), or the pod-less node itself.</summary>
    public RayNodeRecord? RayNode { get; init; }

    /// <summary>
    /// No proxied request reached any pod of the cluster although Kubernetes reports them Ready: the path from the API
    /// server to the pods is blocked (NetworkPolicy, firewall), so failed probes say nothing about Ray.
    /// </summary>
    public bool ProxyPathBlocked { get; init; }

    public DateTimeOffset Now { get; init; }
}

/// <summary>A Status and the Reason for it.</summary>
internal sealed record NodeVerdict(RayHealthStatus Status, string Reason);
