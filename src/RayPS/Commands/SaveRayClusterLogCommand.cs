using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Logs;

namespace RayPS.Commands;

/// <summary>
/// Saves a cluster's logs to a folder (one subfolder per pod, current and previous container logs, Ray's session log
/// files with -IncludeRayLogs) or to one archive with -Zip, through the API server alone; returns the files written.
/// </summary>
[Cmdlet(VerbsData.Save, "RayClusterLog", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class SaveRayClusterLogCommand : RayNamespacedCmdletBase
{
    private const int ProgressId = 0x524C;
    private int _lastPercent = -1;

    /// <summary>The RayCluster whose logs to save.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    /// <summary>The folder to write (created when missing; one subfolder per pod), or with -Zip the archive to write.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Only the head or only the workers.</summary>
    [Parameter]
    [ValidateSet("Head", "Worker")]
    public string? NodeType { get; set; }

    /// <summary>Also saves Ray's session log files (raylet.out, gcs_server.out, ...) of every node, read through the head's dashboard.</summary>
    [Parameter]
    public SwitchParameter IncludeRayLogs { get; set; }

    /// <summary>Only container log lines written in this last span of time (Ray's files are saved whole).</summary>
    [Parameter]
    public TimeSpan? Since { get; set; }

    /// <summary>Writes one .zip archive (at -Path, ".zip" added when missing) instead of a folder.</summary>
    [Parameter]
    public SwitchParameter Zip { get; set; }

    /// <summary>With -Zip, replaces an existing archive.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>How many downloads run at once.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 8;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (Since is { } since && since <= TimeSpan.Zero)
        {
            throw new RayPSException(ErrorIds.InvalidSince, RayErrorCategory.InvalidArgument,
                $"-Since must be a positive span of time such as 01:00:00 (one hour); got {since}.", "Since");
        }
        var path = await OnPipelineThread(() => SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path)).ConfigureAwait(false);
        var request = new ClusterLogSaveRequest
        {
            Namespace = TargetNamespace,
            ClusterName = ClusterName,
            Path = path,
            Filter = new LogPodFilter { NodeType = NodeType?.ToLowerInvariant() },
            IncludeRayLogs = IncludeRayLogs,
            Since = Since,
            Zip = Zip,
            Force = Force,
            ThrottleLimit = ThrottleLimit,
            Progress = ReportProgress,
        };
        var target = ClusterLogSaver.CheckTarget(request);
        if (!await ShouldProcessAsync(target, $"Save the logs of RayCluster '{ClusterName}' in namespace '{request.Namespace}'").ConfigureAwait(false))
        {
            return;
        }
        try
        {
            var files = await ClusterLogSaver.SaveAsync(Connection, request, new CmdletSink(this), cancellationToken).ConfigureAwait(false);
            foreach (var file in files)
            {
                Emit(file);
            }
            EmitVerbose($"Saved {files.Count} files of RayCluster '{ClusterName}' to '{target}'.");
        }
        finally
        {
            EmitProgress(new ProgressRecord(ProgressId, "Saving Ray cluster logs", "Done") { RecordType = ProgressRecordType.Completed });
            _lastPercent = -1;
        }
    }

    private void ReportProgress(int done, int total)
    {
        var percent = total == 0 ? 100 : Math.Min(100, done * 100 / total);
        var last = Volatile.Read(ref _lastPercent);
        if (percent <= last || Interlocked.CompareExchange(ref _lastPercent, percent, last) != last)
        {
            return;
        }
        EmitProgress(new ProgressRecord(ProgressId, "Saving Ray cluster logs", $"{done} of {total} logs saved") { PercentComplete = percent });
    }

    private sealed class CmdletSink(SaveRayClusterLogCommand cmdlet) : ILogSink
    {
        public void Line(RayLogLine line)
        {
        }

        public void Error(RayPSException error) => cmdlet.EmitError(error);

        public void Warning(string text) => cmdlet.EmitWarning(text);
    }
}
