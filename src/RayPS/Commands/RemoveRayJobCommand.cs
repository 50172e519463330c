using System.Management.Automation;
using RayPS.Internal;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Jobs;

namespace RayPS.Commands;

/// <summary>
/// Deletes the records of ended Ray jobs (DELETE /api/jobs/ID). A job that still runs is refused (RayJobNotTerminal)
/// unless -Force, which stops it, waits until it has ended, and then removes it.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "RayJob", HelpUri = HelpLinks.Cmdlets + "Remove-RayJob.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveRayJobCommand : RayJobTargetCmdletBase
{
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 300;

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) =>
        ForEachJobAsync(async (ray, id) =>
        {
            if (!await ShouldProcessAsync($"Ray job '{id}' on cluster '{ray.Namespace}/{ClusterName}'", Force ? "Stop if running, then remove" : "Remove").ConfigureAwait(false))
            {
                return;
            }
            try
            {
                await RayJobOperations.DeleteAsync(ray, id, cancellationToken).ConfigureAwait(false);
            }
            catch (RayPSException ex) when (ex.ErrorId == ErrorIds.RayJobNotTerminal && Force)
            {
                await RayJobOperations.StopAsync(ray, id, cancellationToken).ConfigureAwait(false);
                await WaitWithProgressAsync(ray, id, TimeSpan.FromSeconds(TimeoutSec), cancellationToken).ConfigureAwait(false);
                await RayJobOperations.DeleteAsync(ray, id, cancellationToken).ConfigureAwait(false);
            }
            EmitVerbose($"Removed Ray job '{id}' from cluster '{ray.Namespace}/{ClusterName}'.");
        });
}
