using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>
/// Removes a worker group without orphaning its pods: a RayCluster group is drained (replicas and bounds to 0, every pod
/// named in workersToDelete), waited for, then removed with a patch that tests its name at its index; a Deployment group
/// is deleted with foreground propagation and waited for.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "RayWorkerGroup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RayWorkerGroup))]
public sealed class RemoveRayWorkerGroupCommand : RayNamespacedCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(WorkerGroupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string GroupName { get; set; } = "";

    /// <summary>The group's kind (binds from Kind of piped RayWorkerGroup objects); found by reading when not given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet(nameof(WorkerGroupKind.RayCluster), nameof(WorkerGroupKind.Deployment), IgnoreCase = true)]
    public string? Kind { get; set; }

    /// <summary>Delete the group's pods now instead of waiting for them to drain.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 300;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var ns = TargetNamespace;
        var target = $"worker group '{GroupName}' of Ray cluster '{ClusterName}' in namespace '{ns}' (context '{Connection.ContextName}')";
        var action = Force ? "Remove, deleting its pods now" : "Remove after its pods drain";
        if (!await ShouldProcessAsync(target, action).ConfigureAwait(false))
        {
            return;
        }
        var activity = $"Removing worker group '{GroupName}' of '{ClusterName}'";
        var request = new WorkerGroupRemovalRequest
        {
            Namespace = ns,
            ClusterName = ClusterName,
            GroupName = GroupName,
            Kind = Kind is null ? null : Enum.Parse<WorkerGroupKind>(Kind, ignoreCase: true),
            Force = Force,
            Timeout = TimeSpan.FromSeconds(TimeoutSec),
            Progress = (status, left) => EmitProgress(new ProgressRecord(Internal.WorkerGroupProgress.ActivityId + 2, activity,
                left >= 0 ? $"{status}: {left} pod(s) left" : status)),
        };
        RayWorkerGroup removed;
        try
        {
            removed = await WorkerGroupOperations.RemoveAsync(Connection, request, cancellationToken).ConfigureAwait(false);
        }
        catch (RayPSException ex) when (ex.ErrorId is ErrorIds.WorkerGroupNotFound or ErrorIds.WorkerGroupRemovalTimeout)
        {
            EmitError(ex);
            return;
        }
        finally
        {
            EmitProgress(new ProgressRecord(Internal.WorkerGroupProgress.ActivityId + 2, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
        EmitVerbose($"Removed {target} ({removed.Kind}); its pods are gone.");
        if (PassThru)
        {
            Emit(removed);
        }
    }
}
