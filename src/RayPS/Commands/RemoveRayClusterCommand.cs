using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Operations;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>Deletes RayClusters (one DELETE each); with -Wait, watches until the object and its pods are gone.</summary>
[Cmdlet(VerbsCommon.Remove, "RayCluster", HelpUri = HelpLinks.Cmdlets + "Remove-RayCluster.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RayCluster))]
public sealed class RemoveRayClusterCommand : RayWaitingCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] ClusterName { get; set; } = Array.Empty<string>();

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var ns = TargetNamespace;
        foreach (var name in ClusterName)
        {
            if (!await ShouldProcessAsync($"RayCluster '{name}' in namespace '{ns}' (context '{Connection.ContextName}')", "Delete").ConfigureAwait(false))
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
