using System.Management.Automation;
using RayPS.Completers;
using RayPS.Internal;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>
/// Sets the replicas (and, for a RayCluster group, the bounds) of a worker group of either kind with one write that cannot
/// lose a concurrent update: a tested JSON patch for a RayCluster group, which names the pods a scale-down removes (not
/// ready, then idle Ray nodes, then the newest) in scaleStrategy.workersToDelete; the scale subresource for a Deployment group.
/// </summary>
[Cmdlet(VerbsCommon.Set, "RayWorkerReplicas", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RayWorkerGroup))]
public sealed class SetRayWorkerReplicasCommand : RayWaitingCmdletBase
{
    /// <summary>The Ray cluster (binds from ClusterName of piped objects).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    /// <summary>The worker group (binds from GroupName of piped RayWorkerGroup objects).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(WorkerGroupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string GroupName { get; set; } = "";

    /// <summary>The new replica count (optional when -MinReplicas, -MaxReplicas or -WorkersToDelete say what to change).</summary>
    [Parameter(Position = 2)]
    [ValidateRange(0, int.MaxValue)]
    public int? Replicas { get; set; }

    /// <summary>New minReplicas of a RayCluster group (what to change on an autoscaled group).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? MinReplicas { get; set; }

    /// <summary>New maxReplicas of a RayCluster group.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? MaxReplicas { get; set; }

    /// <summary>Pods of a RayCluster group to remove (scaleStrategy.workersToDelete), chosen by the user.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(WorkerPodNameCompleter))]
    public string[]? WorkersToDelete { get; set; }

    /// <summary>
    /// The group's kind; found by reading when not given, taken from a piped RayWorkerGroup. It does not bind from other
    /// objects' Kind property (a DateTime's Kind is 'Local').
    /// </summary>
    [Parameter]
    [ValidateSet(nameof(WorkerGroupKind.RayCluster), nameof(WorkerGroupKind.Deployment), IgnoreCase = true)]
    public string? Kind { get; set; }

    /// <summary>
    /// A group from Get-RayWorkerGroup (its ClusterName, GroupName, Namespace and Kind bind as well). The write is then
    /// computed from it without reading the group again: one request instead of two or three.
    /// </summary>
    [Parameter(ValueFromPipeline = true)]
    public RayWorkerGroup? InputObject { get; set; }

    /// <summary>Move minReplicas/maxReplicas to include -Replicas, in the same patch.</summary>
    [Parameter]
    public SwitchParameter AdjustBounds { get; set; }

    /// <summary>Scale even though the Ray autoscaler owns the group's replicas.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Return the group after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private string Describe()
    {
        var parts = new List<string>();
        if (Replicas is { } replicas) parts.Add($"set replicas to {replicas}");
        if (MinReplicas is { } min) parts.Add($"minReplicas to {min}");
        if (MaxReplicas is { } max) parts.Add($"maxReplicas to {max}");
        if (WorkersToDelete is { Length: > 0 } pods) parts.Add($"remove pods {string.Join(", ", pods)}");
        var text = string.Join(", ", parts);
        return text.Length == 0 ? "Change nothing" : char.ToUpperInvariant(text[0]) + text[1..];
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var ns = TargetNamespace;
        var target = $"worker group '{GroupName}' of Ray cluster '{ClusterName}' in namespace '{ns}' (context '{Connection.ContextName}')";
        if (!await ShouldProcessAsync(target, Describe()).ConfigureAwait(false))
        {
            return;
        }

        var request = new WorkerGroupScaleRequest
        {
            Namespace = ns,
            ClusterName = ClusterName,
            GroupName = GroupName,
            Replicas = Replicas,
            MinReplicas = MinReplicas,
            MaxReplicas = MaxReplicas,
            WorkersToDelete = WorkersToDelete,
            Kind = Kind is null ? InputObject?.Kind : Enum.Parse<WorkerGroupKind>(Kind, ignoreCase: true),
            AdjustBounds = AdjustBounds,
            Force = Force,
            IncludePodCounts = PassThru && !Wait,
            KnownGroup = InputObject?.Context == Connection.ContextName ? InputObject : null,
        };
        var result = await WorkerGroupOperations.ScaleAsync(Connection, request, EmitWarning, cancellationToken).ConfigureAwait(false);
        var group = result.Group;
        EmitVerbose($"Set {target} ({group.Kind}){(result.PreviousReplicas is { } previous ? $" from {previous}" : "")} to {group.Replicas} replicas" +
            (result.BoundsAdjusted ? $", bounds now {group.Min}..{group.Max}" : "") +
            (result.WorkersToDelete.Count > 0 ? $"; pods to remove: {string.Join(", ", result.WorkersToDelete)}" : "") +
            (result.Attempts > 1 ? $" (after {result.Attempts - 1} concurrent change(s) made the first patch fail its test)" : "") + ".");

        if (Wait)
        {
            var started = DateTime.UtcNow;
            group = await WaitForGroupAsync(group, $"Scaling worker group '{GroupName}' of '{ClusterName}' to {group.Replicas}", Timeout,
                cancellationToken).ConfigureAwait(false);
            if (result.WorkersToDelete.Count > 0)
            {
                var activity = $"Waiting for {result.WorkersToDelete.Count} pod(s) of worker group '{GroupName}' to go";
                try
                {
                    var left = Timeout - (DateTime.UtcNow - started);
                    await WorkerGroupOperations.WaitWorkersGoneAndClearAsync(Connection, group, result.WorkersToDelete.ToHashSet(StringComparer.Ordinal),
                        left > TimeSpan.Zero ? left : TimeSpan.Zero,
                        remaining => EmitProgress(new ProgressRecord(WorkerGroupProgress.ActivityId + 1, activity, $"{remaining} still there")), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    EmitProgress(new ProgressRecord(WorkerGroupProgress.ActivityId + 1, activity, "Done") { RecordType = ProgressRecordType.Completed });
                }
                EmitVerbose($"Pods {string.Join(", ", result.WorkersToDelete)} are gone; cleared them from scaleStrategy.workersToDelete.");
            }
        }

        if (PassThru)
        {
            Emit(group);
        }
    }
}
