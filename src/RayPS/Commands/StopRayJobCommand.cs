using System.Management.Automation;
using RayPS.Internal;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Jobs;

namespace RayPS.Commands;

/// <summary>Asks Ray to stop jobs (POST .../stop); with -Wait, until they report STOPPED (or another end state).</summary>
[Cmdlet(VerbsLifecycle.Stop, "RayJob", HelpUri = HelpLinks.Cmdlets + "Stop-RayJob.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RayJob))]
public sealed class StopRayJobCommand : RayJobTargetCmdletBase
{
    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 300;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) =>
        ForEachJobAsync(async (ray, id) =>
        {
            if (!await ShouldProcessAsync($"Ray job '{id}' on cluster '{ray.Namespace}/{ClusterName}'", "Stop").ConfigureAwait(false))
            {
                return;
            }
            var stopped = await RayJobOperations.StopAsync(ray, id, cancellationToken).ConfigureAwait(false);
            EmitVerbose(stopped ? $"Ray is stopping job '{id}'." : $"Ray job '{id}' had already ended; nothing to stop.");
            RayJob? job = null;
            if (Wait)
            {
                job = await WaitWithProgressAsync(ray, id, TimeSpan.FromSeconds(TimeoutSec), cancellationToken).ConfigureAwait(false);
            }
            if (PassThru)
            {
                Emit(job ?? await RayJobOperations.GetAsync(ray, id, cancellationToken).ConfigureAwait(false));
            }
        });
}
