using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Internal;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>
/// Deletes RayClusters (one DELETE each) and their Deployment worker groups (one DELETE of the collection by label,
/// unless -KeepDeployments); with -Wait, watches until the object and all its pods are gone. A cluster named several
/// times in one pipeline (its worker groups or nodes piped in) is deleted once.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "RayCluster", HelpUri = HelpLinks.Cmdlets + "Remove-RayCluster.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RayCluster))]
public sealed class RemoveRayClusterCommand : RayWaitingCmdletBase
{
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] ClusterName { get; set; } = Array.Empty<string>();

    /// <summary>
    /// The object piped in whole: a RayCluster, or a worker group, node or job naming its cluster (ClusterName). Used to
    /// refuse objects that name no RayCluster (the KubeRay operator, a date) instead of deleting whatever their Name says.
    /// </summary>
    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Leaves the cluster's Deployment worker groups (New-RayWorkerDeployment) running.</summary>
    [Parameter]
    public SwitchParameter KeepDeployments { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (PipelineInputGuard.RefuseNonCluster(InputObject, "Remove-RayCluster", "Nothing was deleted.") is { } refused)
        {
            EmitError(refused);
            return;
        }
        var ns = TargetNamespace;
        foreach (var name in ClusterName)
        {
            if (!_done.Add(ns + "/" + name))
            {
                EmitVerbose($"RayCluster '{name}' in namespace '{ns}' came down the pipeline again; it is deleted once.");
                continue;
            }
            var what = KeepDeployments
                ? $"RayCluster '{name}' in namespace '{ns}' (context '{Connection.ContextName}'), keeping its Deployment worker groups"
                : $"RayCluster '{name}' in namespace '{ns}' (context '{Connection.ContextName}') and its Deployment worker groups (Deployments labelled {RayClusterLifecycle.DeploymentGroupSelector(name)})";
            if (!await ShouldProcessAsync(what, "Delete").ConfigureAwait(false))
            {
                continue;
            }

            RayCluster? deleted;
            try
            {
                // A custom resource's DELETE answers with a Status, not the object: -PassThru reads it first.
                var before = PassThru ? await RayClusterOperations.GetAsync(Connection, ns, name, cancellationToken).ConfigureAwait(false) : null;
                deleted = await RayClusterLifecycle.DeleteAsync(Connection, ns, name, cancellationToken).ConfigureAwait(false) ?? before;
            }
            catch (RayPSException ex) when (ex.ErrorId == ErrorIds.RayClusterNotFound)
            {
                EmitError(ex);
                continue;
            }
            EmitVerbose($"Deleted RayCluster '{name}' in namespace '{ns}'; KubeRay and the garbage collector now remove its pods and services.");

            if (!KeepDeployments)
            {
                try
                {
                    var groups = await RayClusterLifecycle.DeleteDeploymentGroupsAsync(Connection, ns, name, cancellationToken).ConfigureAwait(false);
                    if (groups.Count > 0)
                    {
                        EmitVerbose($"Deleted the Deployment worker groups of RayCluster '{name}': {string.Join(", ", groups)}.");
                    }
                }
                catch (RayPSException ex) when (ex.ErrorId == ErrorIds.KubeApiForbidden)
                {
                    EmitError(ex);
                    continue;
                }
            }

            if (Wait)
            {
                try
                {
                    await WaitForClusterDeletedAsync(ns, name, Timeout, cancellationToken).ConfigureAwait(false);
                }
                catch (RayPSException ex) when (ex.ErrorId == ErrorIds.RayClusterDeletionTimeout)
                {
                    EmitError(ex);
                    continue;
                }
            }

            if (PassThru && deleted is not null)
            {
                Emit(deleted);
            }
        }
    }
}
