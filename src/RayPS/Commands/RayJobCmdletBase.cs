using System.Management.Automation;
using RayPS.Jobs;
using RayPS.Ray;

namespace RayPS.Commands;

/// <summary>Base of the Ray job cmdlets: -ClusterName (bound from RayCluster and RayJob objects) and one Ray client per cluster.</summary>
public abstract class RayJobCmdletBase : RayNamespacedCmdletBase
{
    private readonly Dictionary<(string, string), RayHttpClient> _clients = new();
    private const int ProgressId = 0x524A;

    /// <summary>Called by derived cmdlets; the parameter itself is declared there so each can place it.</summary>
    protected RayHttpClient Ray(string clusterName)
    {
        var key = (TargetNamespace, clusterName);
        if (!_clients.TryGetValue(key, out var client))
        {
            client = new RayHttpClient(Connection, TargetNamespace, clusterName);
            _clients[key] = client;
        }
        return client;
    }

    /// <summary>Polls the job until it ends, with progress; RayJobTimeout escapes.</summary>
    protected async Task<RayJob> WaitWithProgressAsync(RayHttpClient ray, string id, TimeSpan timeout, CancellationToken ct, RayJob? known = null)
    {
        var activity = $"Waiting for Ray job '{id}' on cluster '{ray.Namespace}/{ray.ClusterName}'";
        try
        {
            return await RayJobOperations.WaitAsync(ray, id, timeout,
                job => EmitProgress(new ProgressRecord(ProgressId, activity, $"{job.Status}{(job.Duration is { } d ? $" for {d.TotalSeconds:0} s" : "")}: {job.Message}")),
                ct, known).ConfigureAwait(false);
        }
        finally
        {
            EmitProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    /// <summary>Streams the log lines to the pipeline until the job ends; Ctrl+C stops following only, and says so.</summary>
    protected async Task FollowAsync(RayHttpClient ray, string id, CancellationToken ct)
    {
        try
        {
            var how = await RayJobOperations.FollowAsync(ray, id, Emit, ct).ConfigureAwait(false);
            EmitVerbose($"Followed the log of Ray job '{id}' by {how}.");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Post(() => Host.UI.WriteWarningLine(
                $"Stopped following Ray job '{id}'; the job itself keeps running. Stop it with: Stop-RayJob {id} -ClusterName {ray.ClusterName} -Namespace {ray.Namespace}"));
            throw;
        }
    }
}
