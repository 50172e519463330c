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

    private volatile string? _following;

    /// <summary>Streams the log lines to the pipeline until the job ends; Ctrl+C stops following only, and says so.</summary>
    protected async Task FollowAsync(RayHttpClient ray, string id, CancellationToken ct)
    {
        _following = $"Stopped following Ray job '{id}'; the job itself keeps running. Stop it with: Stop-RayJob {id} -ClusterName {ray.ClusterName} -Namespace {ray.Namespace}";
        try
        {
            var how = await RayJobOperations.FollowAsync(ray, id, Emit, ct).ConfigureAwait(false);
            EmitVerbose($"Followed the log of Ray job '{id}' by {how}.");
        }
        finally
        {
            _following = null;
        }
    }

    /// <summary>Ctrl+C while following: the pipeline stops at once, so the note on how to stop the job goes straight to the host.</summary>
    protected override void StopProcessing()
    {
        if (_following is { } note)
        {
            try
            {
                Host?.UI?.WriteWarningLine(note);
            }
            catch (Exception ex) when (ex is PSInvalidOperationException or NotImplementedException or InvalidOperationException)
            {
                // A host without a UI (a bare runspace) has nowhere to show it.
            }
        }
        base.StopProcessing();
    }
}
