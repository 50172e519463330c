using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Jobs;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>Gets the Ray jobs of clusters (submission and driver jobs) from Ray's Jobs API: one GET per cluster.</summary>
[Cmdlet(VerbsCommon.Get, "RayJob")]
[OutputType(typeof(RayJob))]
public sealed class GetRayJobCommand : RayJobCmdletBase
{
    /// <summary>The clusters; default: every RayCluster of the namespace.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? ClusterName { get; set; }

    /// <summary>Submission ids or Ray job ids; wildcards allowed.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "JobId")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? SubmissionId { get; set; }

    [Parameter]
    [ValidateSet("PENDING", "RUNNING", "STOPPED", "SUCCEEDED", "FAILED", IgnoreCase = true)]
    public string[]? Status { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var clusters = ClusterName ?? (await RayClusterOperations.ListAsync(Connection, TargetNamespace, cancellationToken).ConfigureAwait(false)).Select(c => c.Name).ToArray();
        foreach (var cluster in clusters)
        {
            var ray = Ray(cluster);
            try
            {
                if (SubmissionId is { Length: > 0 } ids && ids.All(id => !WildcardPattern.ContainsWildcardCharacters(id)))
                {
                    foreach (var id in ids)
                    {
                        try
                        {
                            Write(await RayJobOperations.GetAsync(ray, id, cancellationToken).ConfigureAwait(false));
                        }
                        catch (RayPSException ex) when (ex.ErrorId == ErrorIds.RayJobNotFound)
                        {
                            EmitError(ex);
                        }
                    }
                    continue;
                }
                var patterns = SubmissionId?.Select(id => new WildcardPattern(id, WildcardOptions.IgnoreCase)).ToList();
                foreach (var job in await RayJobOperations.ListAsync(ray, cancellationToken).ConfigureAwait(false))
                {
                    if (patterns is null || patterns.Any(p => (job.SubmissionId is { } s && p.IsMatch(s)) || (job.JobId is { } j && p.IsMatch(j))))
                    {
                        Write(job);
                    }
                }
            }
            catch (RayPSException ex) when (ex.ErrorId is ErrorIds.RayDashboardUnreachable or ErrorIds.RayClusterNotFound or ErrorIds.RayJobRequestFailed)
            {
                EmitError(ex);
            }
        }
    }

    private void Write(RayJob job)
    {
        if (Status is null || Status.Contains(job.Status, StringComparer.OrdinalIgnoreCase))
        {
            Emit(job);
        }
    }
}
