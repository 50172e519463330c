using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Logs;

namespace RayPS.Commands;

/// <summary>
/// Gets the log lines of a cluster's Ray nodes as objects: each pod's container output (pods/log) or Ray's own session
/// log files (raylet.out, gcs_server.out, ...) read through the head's dashboard, all through the API server (no exec,
/// no port-forward, no local Ray).
/// </summary>
[Cmdlet(VerbsCommon.Get, "RayNodeLog", DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(RayLogLine))]
public sealed class GetRayNodeLogCommand : RayNamespacedCmdletBase
{
    private const string ContainerSet = "Container";
    private const string RayLogSet = "RayLog";

    private readonly List<Target> _targets = [];

    /// <summary>The RayCluster whose nodes' logs to read.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    /// <summary>The pods to read (wildcards); default: every Ray pod of the cluster.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[]? PodName { get; set; }

    /// <summary>Only the head or only the workers.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("Head", "Worker")]
    public string? NodeType { get; set; }

    /// <summary>Only pods of these worker groups (wildcards; the head's group is headgroup).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Group")]
    [SupportsWildcards]
    public string[]? GroupName { get; set; }

    /// <summary>The containers to read (wildcards); default: the Ray container (ray-head or ray-worker) of each pod.</summary>
    [Parameter(ParameterSetName = ContainerSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Container { get; set; }

    /// <summary>Reads Ray's session log files with these names (wildcards, e.g. raylet.out, gcs_server.*, '*') instead of container output.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RayLogSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? RayLog { get; set; }

    /// <summary>Only the last N lines of each log.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Tail { get; set; } = -1;

    /// <summary>Only lines written in this last span of time (e.g. 00:10:00 for ten minutes).</summary>
    [Parameter]
    public TimeSpan? Since { get; set; }

    /// <summary>The log of the container's previous instance: the one that crashed or was OOM-killed before the restart.</summary>
    [Parameter(ParameterSetName = ContainerSet)]
    public SwitchParameter Previous { get; set; }

    /// <summary>Keeps streaming new lines until every container stops (Ray files: until Ctrl+C) or you press Ctrl+C.</summary>
    [Parameter]
    public SwitchParameter Follow { get; set; }

    /// <summary>How many logs are read at once.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 8;

    private sealed record Target(string Namespace, string ClusterName, string[]? PodNames, string? NodeType, string[]? GroupNames);

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (Since is { } since && since <= TimeSpan.Zero)
        {
            throw new RayPSException(ErrorIds.InvalidSince, RayErrorCategory.InvalidArgument,
                $"-Since must be a positive span of time such as 00:10:00 (ten minutes); got {since}.", "Since");
        }
        var podNames = PodName;
        if (MyInvocation.BoundParameters.ContainsKey(nameof(PodName)))
        {
            podNames = PodName?.Where(n => !string.IsNullOrWhiteSpace(n)).ToArray();
            if (podNames is not { Length: > 0 })
            {
                // A Get-RayNodeHealth row of a Ray node whose pod is gone: nothing to read.
                EmitVerbose($"Skipped an input of cluster '{ClusterName}' without a pod name (a Ray node whose pod was removed).");
                return Task.CompletedTask;
            }
        }
        // Inputs are gathered and read per cluster at the end, so a pipeline of many nodes lists each cluster's pods once.
        _targets.Add(new Target(TargetNamespace, ClusterName, podNames, NodeType?.ToLowerInvariant(), GroupName));
        return Task.CompletedTask;
    }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        var sink = new CmdletSink(this);
        var reads = _targets.GroupBy(t => (t.Namespace, t.ClusterName)).SelectMany(Merge).ToList();
        var tasks = reads.Select(t => ReadAsync(t, sink, cancellationToken)).ToList();
        if (!Follow)
        {
            foreach (var task in tasks)
            {
                await task.ConfigureAwait(false);
            }
            return;
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>
    /// One read per cluster when every input names its pods exactly (Get-RayNodeHealth rows: the names already say which
    /// pods, so their NodeType and Group add nothing); otherwise one read per distinct set of filters.
    /// </summary>
    private static IEnumerable<Target> Merge(IEnumerable<Target> cluster)
    {
        var targets = cluster.ToList();
        if (targets.All(t => t.PodNames is { Length: > 0 } names && !names.Any(WildcardPattern.ContainsWildcardCharacters)))
        {
            var first = targets[0];
            yield return first with
            {
                PodNames = targets.SelectMany(t => t.PodNames!).Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
                NodeType = targets.All(t => t.NodeType == first.NodeType) ? first.NodeType : null,
                GroupNames = null,
            };
            yield break;
        }
        foreach (var g in targets.GroupBy(t => (t.NodeType, Groups: string.Join("\n", t.GroupNames ?? []))))
        {
            yield return g.Any(t => t.PodNames is null)
                ? g.First() with { PodNames = null }
                : g.First() with { PodNames = g.SelectMany(t => t.PodNames!).Distinct(StringComparer.OrdinalIgnoreCase).ToArray() };
        }
    }

    private async Task ReadAsync(Target target, ILogSink sink, CancellationToken ct)
    {
        var request = new NodeLogRequest
        {
            Namespace = target.Namespace,
            ClusterName = target.ClusterName,
            Filter = new LogPodFilter { PodNames = target.PodNames, NodeType = target.NodeType, GroupNames = target.GroupNames },
            Containers = Container,
            RayLogs = RayLog,
            Tail = Tail >= 0 ? Tail : null,
            Since = Since,
            Previous = Previous,
            Follow = Follow,
            ThrottleLimit = ThrottleLimit,
        };
        try
        {
            await RayLogOperations.GetAsync(Connection, request, sink, ct).ConfigureAwait(false);
        }
        catch (RayPSException ex) when (_targets.Count > 1 || ex.ErrorId is ErrorIds.RayClusterNotFound or ErrorIds.KubeApiForbidden)
        {
            // One cluster's failure (not found, no rights) concerns that input only.
            EmitError(ex);
        }
    }

    private sealed class CmdletSink(GetRayNodeLogCommand cmdlet) : ILogSink
    {
        public void Line(RayLogLine line) => cmdlet.Emit(line);

        public void Error(RayPSException error) => cmdlet.EmitError(error);

        public void Warning(string text) => cmdlet.EmitWarning(text);
    }
}
