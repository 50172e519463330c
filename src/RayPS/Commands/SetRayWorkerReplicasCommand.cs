using System.Management.Automation;
using RayPS.Completers;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>
/// Sets the replicas of a worker group of either kind with one write that cannot lose a concurrent update: a tested
/// JSON patch for a RayCluster group, the scale subresource for a Deployment group.
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

    /// <summary>The new replica count.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [ValidateRange(0, int.MaxValue)]
    public int Replicas { get; set; }

    /// <summary>The group's kind; found by reading when not given (binds from Kind of piped RayWorkerGroup objects).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
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

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var ns = TargetNamespace;
        var target = $"worker group '{GroupName}' of Ray cluster '{ClusterName}' in namespace '{ns}' (context '{Connection.ContextName}')";
        if (!await ShouldProcessAsync(target, $"Set replicas to {Replicas}").ConfigureAwait(false))
        {
            return;
        }

        var request = new WorkerGroupScaleRequest
        {
            Namespace = ns,
            ClusterName = ClusterName,
            GroupName = GroupName,
            Replicas = Replicas,
            Kind = Kind is null ? null : Enum.Parse<WorkerGroupKind>(Kind, ignoreCase: true),
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
            group = await WaitForGroupAsync(group, $"Scaling worker group '{GroupName}' of '{ClusterName}' to {Replicas}", Timeout,
                cancellationToken).ConfigureAwait(false);
        }

        if (PassThru)
        {
            Emit(group);
        }
    }
}
