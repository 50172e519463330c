using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Jobs;

namespace RayPS.Commands;

/// <summary>Asks Ray to stop jobs (POST .../stop); with -Wait, until they report STOPPED (or another end state).</summary>
[Cmdlet(VerbsLifecycle.Stop, "RayJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RayJob))]
public sealed class StopRayJobCommand : RayJobCmdletBase
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "JobId")]
    [ValidateNotNullOrEmpty]
    public string[] SubmissionId { get; set; } = [];

    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 300;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var ray = Ray(ClusterName);
        foreach (var id in SubmissionId)
        {
            if (!await ShouldProcessAsync($"Ray job '{id}' on cluster '{ray.Namespace}/{ClusterName}'", "Stop").ConfigureAwait(false))
            {
                continue;
            }
            try
            {
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
            }
            catch (RayPSException ex) when (ex.ErrorId is not (ErrorIds.KubeApiUnreachable or ErrorIds.KubeApiUnauthorized))
            {
                EmitError(ex);
            }
        }
    }
}
