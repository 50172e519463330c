using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Jobs;

namespace RayPS.Commands;

/// <summary>
/// Waits until Ray jobs end (SUCCEEDED, FAILED or STOPPED) and returns them; a FAILED or STOPPED job also writes an
/// error with Ray's message. One deadline covers every job of the call.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "RayJob")]
[OutputType(typeof(RayJob))]
public sealed class WaitRayJobCommand : RayJobCmdletBase
{
    private DateTimeOffset _deadline;

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "JobId")]
    [ValidateNotNullOrEmpty]
    public string[] SubmissionId { get; set; } = [];

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 3600;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        _deadline = DateTimeOffset.UtcNow.AddSeconds(TimeoutSec);
        return Task.CompletedTask;
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var ray = Ray(ClusterName);
        foreach (var id in SubmissionId)
        {
            var left = _deadline - DateTimeOffset.UtcNow;
            try
            {
                var job = await WaitWithProgressAsync(ray, id, left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                if (RayJobOperations.OutcomeError(job) is { } failed)
                {
                    EmitError(failed);
                }
                Emit(job);
            }
            catch (RayPSException ex) when (ex.ErrorId is not (ErrorIds.KubeApiUnreachable or ErrorIds.KubeApiUnauthorized))
            {
                EmitError(ex);
            }
        }
    }
}
