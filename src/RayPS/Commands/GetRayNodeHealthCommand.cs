using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Operations;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>
/// Gets the health of every Ray node of a cluster (pod, raylet, GCS, Ray node state) with a Status and a Reason in
/// plain words, or one summary per cluster with -Summary.
/// </summary>
[Cmdlet(VerbsCommon.Get, "RayNodeHealth", HelpUri = HelpLinks.Cmdlets + "Get-RayNodeHealth.md")]
[OutputType(typeof(RayNodeHealth), typeof(RayClusterHealthSummary))]
public sealed class GetRayNodeHealthCommand : RayNamespacedCmdletBase
{
    private const int ProgressId = 0x5259;
    private int _lastPercent = -1;

    /// <summary>The clusters to check; default: every cluster of the namespace.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? ClusterName { get; set; }

    /// <summary>Checks clusters in every namespace.</summary>
    [Parameter]
    [Alias("A")]
    public SwitchParameter AllNamespaces { get; set; }

    /// <summary>Outputs one RayClusterHealthSummary per cluster instead of one object per node.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>Also reports DEAD Ray nodes whose pods are gone and that died more than an hour ago.</summary>
    [Parameter]
    public SwitchParameter IncludeDeparted { get; set; }

    /// <summary>
    /// How many probes run at once. 64 proxied GETs in flight check a 1000-node cluster in about a second and stay a
    /// moderate load for an API server (its default limit is 400 read requests in flight).
    /// </summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = NodeHealthRequest.DefaultThrottleLimit;

    /// <summary>Seconds each probe may take.</summary>
    [Parameter]
    [ValidateRange(1, 300)]
    public int TimeoutSec { get; set; } = (int)NodeHealthRequest.DefaultProbeTimeout.TotalSeconds;

    // Piped nodes or groups name the same cluster many times; each cluster is checked once per pipeline.
    private readonly HashSet<string> _checked = new(StringComparer.Ordinal);

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var connection = Connection;
        var scope = AllNamespaces ? "*" : TargetNamespace;
        var clusterNames = ClusterName?.Where(name => _checked.Add($"{scope}/{name}")).ToArray();
        if (clusterNames is { Length: 0 })
        {
            return;
        }
        var request = new NodeHealthRequest
        {
            Namespace = AllNamespaces ? null : TargetNamespace,
            ClusterNames = clusterNames,
            ThrottleLimit = ThrottleLimit,
            ProbeTimeout = TimeSpan.FromSeconds(TimeoutSec),
            IncludeDeparted = IncludeDeparted,
            Progress = ReportProgress,
            Warning = EmitWarning,
        };
        try
        {
            await foreach (var report in NodeHealthOperations.CheckAsync(connection, request, cancellationToken).ConfigureAwait(false))
            {
                Write(report);
            }
        }
        catch (RayPSException ex) when (ex.ErrorId == ErrorIds.KubeApiForbidden)
        {
            // Missing permissions concern this input only; other clusters on the pipeline may be in namespaces we can read.
            EmitError(ex);
        }
        finally
        {
            EmitProgress(new ProgressRecord(ProgressId, "Checking Ray node health", "Done") { RecordType = ProgressRecordType.Completed });
            _lastPercent = -1;
        }
    }

    private void Write(ClusterHealthReport report)
    {
        if (report.Failure is { } failure)
        {
            EmitError(failure);
            return;
        }
        foreach (var error in report.Errors)
        {
            EmitError(error);
        }
        foreach (var warning in report.Warnings)
        {
            EmitWarning(warning);
        }
        foreach (var note in report.Notes)
        {
            EmitVerbose(note);
        }
        if (Summary)
        {
            Emit(report.Summary!);
            return;
        }
        foreach (var node in report.Nodes)
        {
            Emit(node);
        }
    }

    /// <summary>Called from probe threads; writes a progress record when the percentage moves.</summary>
    private void ReportProgress(int done, int total)
    {
        var percent = total == 0 ? 100 : Math.Min(100, done * 100 / total);
        var last = Volatile.Read(ref _lastPercent);
        if (percent <= last || Interlocked.CompareExchange(ref _lastPercent, percent, last) != last)
        {
            return;
        }
        EmitProgress(new ProgressRecord(ProgressId, "Checking Ray node health", $"{done} of {total} health probes answered") { PercentComplete = percent });
    }
}
