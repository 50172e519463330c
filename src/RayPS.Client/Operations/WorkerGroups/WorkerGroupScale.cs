namespace RayPS.Operations;

/// <summary>What Set-RayWorkerReplicas asks for.</summary>
public sealed class WorkerGroupScaleRequest
{
    public required string Namespace { get; init; }
    public required string ClusterName { get; init; }
    public required string GroupName { get; init; }
    /// <summary>The new replica count; null keeps the current one (within new bounds, when only they are given).</summary>
    public int? Replicas { get; init; }

    /// <summary>New minReplicas (RayCluster groups).</summary>
    public int? MinReplicas { get; init; }

    /// <summary>New maxReplicas (RayCluster groups).</summary>
    public int? MaxReplicas { get; init; }

    /// <summary>Pods the user chose to remove (RayCluster groups); each must be a live worker pod of the group.</summary>
    public IReadOnlyList<string>? WorkersToDelete { get; init; }

    /// <summary>The group's kind when known (pipeline input); saves the reads that find it.</summary>
    public WorkerGroupKind? Kind { get; init; }

    /// <summary>
    /// The group as last read (a RayWorkerGroup from the pipeline). The first write is computed from it without reading
    /// again: a RayCluster group's patch tests the name, bounds and spec generation it was read with, so a stale read
    /// fails the test and is re-read; a Deployment group's scale goes straight to its Deployment. One request instead of two.
    /// </summary>
    public RayWorkerGroup? KnownGroup { get; init; }

    /// <summary>Move minReplicas/maxReplicas to include <see cref="Replicas"/>, in the same patch.</summary>
    public bool AdjustBounds { get; init; }

    /// <summary>Scale even though the in-tree autoscaler owns the group's replicas.</summary>
    public bool Force { get; init; }

    /// <summary>Read the group's pods after the write so the result has Ready/Available (RayCluster groups: one LIST).</summary>
    public bool IncludePodCounts { get; init; }

    /// <summary>How many times a patch whose test failed (the group moved, or its bounds changed) is recomputed and sent.</summary>
    public int MaxAttempts { get; init; } = 8;
}

/// <summary>What a scale did.</summary>
public sealed class WorkerGroupScaleResult
{
    /// <summary>The group as the write left it (resourceVersion of the write).</summary>
    public required RayWorkerGroup Group { get; init; }

    /// <summary>The replicas before the write; null when the write did not need to read them (a Deployment patched by name).</summary>
    public int? PreviousReplicas { get; init; }

    /// <summary>Pods named in scaleStrategy.workersToDelete by this scale (a RayCluster group scaled down, or -WorkersToDelete).</summary>
    public IReadOnlyList<string> WorkersToDelete { get; init; } = Array.Empty<string>();

    /// <summary>minReplicas/maxReplicas were moved (-AdjustBounds).</summary>
    public bool BoundsAdjusted { get; init; }

    /// <summary>PATCH requests sent (more than 1 only when a concurrent change made a test fail).</summary>
    public int Attempts { get; init; }
}
