using System.Management.Automation;

namespace RayPS.Internal;

/// <summary>Write-Progress records for cmdlets that wait for a worker group to settle.</summary>
internal static class WorkerGroupProgress
{
    public const int ActivityId = 0x5257;

    /// <summary>Ready pods out of the larger of desired and existing, so a scale-down also fills the bar as surplus pods go.</summary>
    public static int Percent(RayWorkerGroup group)
    {
        var total = Math.Max(group.DesiredWorkers, group.CurrentWorkers);
        return total == 0 ? 100 : Math.Min(group.ReadyWorkers, group.DesiredWorkers) * 100 / total;
    }

    public static ProgressRecord Record(string activity, RayWorkerGroup group) =>
        new(ActivityId, activity, $"{group.ReadyWorkers}/{group.DesiredWorkers} pods ready, {group.CurrentWorkers} exist") { PercentComplete = Percent(group) };

    public static ProgressRecord Completed(string activity) =>
        new(ActivityId, activity, "Done") { RecordType = ProgressRecordType.Completed };
}
