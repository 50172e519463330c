namespace RayPS;

/// <summary>
/// The health of one Ray node: its pod as Kubernetes sees it, its raylet (and on the head, GCS) as their health
/// endpoints answer, its state as Ray's GCS reports it, and a Status with the Reason in plain words. Ray nodes that
/// no pod matches (DEAD nodes of removed pods) have an empty PodName.
/// </summary>
public sealed class RayNodeHealth
{
    public string ClusterName { get; init; } = "";
    public string Namespace { get; init; } = "";

    /// <summary>The pod that runs the node; empty for a Ray node no pod matches (its pod was removed).</summary>
    public string PodName { get; init; } = "";

    /// <summary>Same as PodName (every RayPS object that has a name answers to Name).</summary>
    public string Name => PodName;

    /// <summary>head or worker.</summary>
    public string NodeType { get; init; } = "";

    /// <summary>The worker group (ray.io/group), "headgroup" for a KubeRay head.</summary>
    public string? GroupName { get; init; }

    /// <summary>Who manages the pod: RayCluster (the KubeRay operator), Deployment (seed-style workers), Pod (a bare pod), or empty.</summary>
    public string Kind { get; init; } = "";

    /// <summary>The Deployment that owns the pod (Kind Deployment only).</summary>
    public string? DeploymentName { get; init; }

    /// <summary>Pending, Running, Succeeded, Failed or Unknown; empty when there is no pod.</summary>
    public string? PodPhase { get; init; }

    /// <summary>The pod's Ready condition; null when there is no pod.</summary>
    public bool? Ready { get; init; }

    /// <summary>Container restarts of the pod (kubectl's RESTARTS).</summary>
    public int Restarts { get; init; }

    /// <summary>Why a container last stopped (OOMKilled, Error, Completed), if one ever restarted.</summary>
    public string? LastTermination { get; init; }

    /// <summary>When that container stopped.</summary>
    public DateTimeOffset? LastTerminationTime { get; init; }

    /// <summary>Its exit code.</summary>
    public int? LastTerminationExitCode { get; init; }

    /// <summary>The Kubernetes node the pod runs on.</summary>
    public string? NodeName { get; init; }

    public string? PodIP { get; init; }

    /// <summary>When the pod was created.</summary>
    public DateTimeOffset? PodCreated { get; init; }

    /// <summary>The dashboard agent's /api/local_raylet_healthz answered "success"; null when not probed (pod not running, no permission).</summary>
    public bool? RayletHealthy { get; init; }

    /// <summary>Head only: the dashboard's /api/gcs_healthz answered "success"; null on workers.</summary>
    public bool? GcsHealthy { get; init; }

    /// <summary>ALIVE or DEAD as GCS reports it; Unknown when the head could not be asked; empty when Ray has no node for the pod.</summary>
    public string? RayNodeState { get; init; }

    /// <summary>Why Ray marked the node DEAD ("Unexpected termination: ..."), as Ray words it.</summary>
    public string? RayStateMessage { get; init; }

    public string? RayNodeId { get; init; }

    /// <summary>When the Ray node registered and (DEAD nodes) when it died.</summary>
    public DateTimeOffset? RayNodeStartTime { get; init; }
    public DateTimeOffset? RayNodeEndTime { get; init; }

    /// <summary>Logical resources the node gives Ray (resources_total): CPUs, GPUs, NPUs.</summary>
    public double? Cpu { get; init; }
    public double? Gpu { get; init; }
    public double? Npu { get; init; }

    /// <summary>Ray's "memory" resource, in bytes.</summary>
    public long? Memory { get; init; }

    /// <summary>Ray's object store size, in bytes.</summary>
    public long? ObjectStoreMemory { get; init; }

    /// <summary>Every other resource (custom resources such as ascend, accelerator_type:A100, TPU), as Ray names them.</summary>
    public IReadOnlyDictionary<string, double> Custom { get; init; } = new Dictionary<string, double>();

    public RayHealthStatus Status { get; init; }

    /// <summary>Why the node is not Healthy, in plain words; several causes are separated by "; ". Empty when healthy.</summary>
    public string Reason { get; init; } = "";

    /// <summary>The kubeconfig context that was asked.</summary>
    public string? Context { get; init; }

    /// <summary>When the checks ran.</summary>
    public DateTimeOffset CheckedAt { get; init; }

    public override string ToString() => $"{Namespace}/{ClusterName}/{(PodName.Length > 0 ? PodName : RayNodeId)}: {Status}";
}
