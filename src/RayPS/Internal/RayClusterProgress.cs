using System.Management.Automation;
using RayPS.Operations;

namespace RayPS.Internal;

/// <summary>Write-Progress records for the cluster waits of New-, Wait- and Remove-RayCluster.</summary>
internal static class RayClusterProgress
{
    public const int ActivityId = 0x5259;

    public static ProgressRecord Ready(string activity, RayCluster cluster)
    {
        var ready = RayClusterLifecycle.PodsReady(cluster);
        var desired = RayClusterLifecycle.PodsDesired(cluster);
        var state = string.IsNullOrEmpty(cluster.State) ? "pending" : cluster.State;
        return new ProgressRecord(ActivityId, activity, $"{ready}/{desired} pods ready (state: {state})")
        {
            PercentComplete = desired == 0 ? 0 : Math.Min(100, ready * 100 / desired),
        };
    }

    public static ProgressRecord Deleting(string activity, int podsLeft) =>
        new(ActivityId, activity, podsLeft == 1 ? "1 pod left" : $"{podsLeft} pods left");

    public static ProgressRecord Completed(string activity) =>
        new(ActivityId, activity, "Done") { RecordType = ProgressRecordType.Completed };
}
