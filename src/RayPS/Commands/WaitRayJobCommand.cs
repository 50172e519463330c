using System.Management.Automation;
using RayPS.Internal;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Jobs;

namespace RayPS.Commands;

/// <summary>
/// Waits until Ray jobs end (SUCCEEDED, FAILED or STOPPED) and returns them; a FAILED or STOPPED job also writes an
/// error with Ray's message. One deadline covers every job of the call.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "RayJob", HelpUri = HelpLinks.Cmdlets + "Wait-RayJob.md")]
[OutputType(typeof(RayJob))]
public sealed class WaitRayJobCommand : RayJobTargetCmdletBase
{
    private DateTimeOffset _deadline;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 3600;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        _deadline = DateTimeOffset.UtcNow.AddSeconds(TimeoutSec);
        return Task.CompletedTask;
    }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) =>
        ForEachJobAsync(async (ray, id) =>
        {
            var left = _deadline - DateTimeOffset.UtcNow;
            var job = await WaitWithProgressAsync(ray, id, left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            if (RayJobOperations.OutcomeError(job) is { } failed)
            {
                EmitError(failed);
            }
            Emit(job);
        });
}
