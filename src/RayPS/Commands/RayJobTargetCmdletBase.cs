using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Ray;

namespace RayPS.Commands;

/// <summary>
/// Base of the job cmdlets that act on named jobs (Stop-, Wait-, Receive-, Remove-RayJob): -ClusterName and -SubmissionId,
/// both bound from RayJob objects, and one error per job that fails.
/// </summary>
public abstract class RayJobTargetCmdletBase : RayJobCmdletBase
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "JobId")]
    [ValidateNotNullOrEmpty]
    public string[] SubmissionId { get; set; } = [];

    /// <summary>
    /// Runs <paramref name="perJob"/> for each submission id: a job that fails is written as that job's error and the
    /// next one goes on; an API server that cannot be reached or refuses the credentials ends the call.
    /// </summary>
    protected async Task ForEachJobAsync(Func<RayHttpClient, string, Task> perJob)
    {
        var ray = Ray(ClusterName);
        foreach (var id in SubmissionId)
        {
            try
            {
                await perJob(ray, id).ConfigureAwait(false);
            }
            catch (RayPSException ex) when (ex.ErrorId is not (ErrorIds.KubeApiUnreachable or ErrorIds.KubeApiUnauthorized))
            {
                EmitError(ex);
            }
        }
    }
}
