using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Logs;

/// <summary>Where log lines, per-item errors and warnings go; called from any thread.</summary>
public interface ILogSink
{
    void Line(RayLogLine line);

    void Error(RayPSException error);

    void Warning(string text);
}

/// <summary>What Get-RayNodeLog reads.</summary>
public sealed class NodeLogRequest
{
    public required string Namespace { get; init; }
    public required string ClusterName { get; init; }
    public LogPodFilter Filter { get; init; } = new();

    /// <summary>Container name wildcards; null: the Ray container (ray-head / ray-worker) of each pod.</summary>
    public IReadOnlyList<string>? Containers { get; init; }

    /// <summary>Ray log file name wildcards; when set, Ray's session log files are read instead of container output.</summary>
    public IReadOnlyList<string>? RayLogs { get; init; }

    public int? Tail { get; init; }
    public TimeSpan? Since { get; init; }
    public bool Previous { get; init; }
    public bool Follow { get; init; }
    public int ThrottleLimit { get; init; } = 8;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;
}

/// <summary>
/// Reads the logs of a cluster's Ray nodes through the API server alone: container output via pods/log, Ray's session
/// log files via the head dashboard's log API behind the service proxy. Requests: 1 pod LIST; then 1 pods/log GET per
/// container read, or for Ray files 1 node list per cluster, 1 file listing per pod (skipped when the file name has no
/// wildcard) and 1 GET per file. Reads run in parallel under one bound; without -Follow lines come out pod by pod in
/// order, with -Follow as they arrive.
/// </summary>
public static class RayLogOperations
{
    public static async Task GetAsync(KubeConnection connection, NodeLogRequest request, ILogSink sink, CancellationToken ct)
    {
        var pods = await LogPodResolver.ResolveAsync(connection, request.Namespace, request.ClusterName, request.Filter, sink.Error, sink.Warning, ct).ConfigureAwait(false);
        if (pods.Count == 0)
        {
            return;
        }
        if (request.RayLogs is { Count: > 0 })
        {
            await ReadRayLogsAsync(connection, request, pods, sink, ct).ConfigureAwait(false);
            return;
        }

        var reads = new List<(LogPod Pod, LogContainer Container)>();
        foreach (var pod in pods)
        {
            var chosen = request.Containers is { Count: > 0 } patterns
                ? pod.Containers.Where(c => LogText.MatchesAny(patterns, c.Name)).ToList()
                : pod.Containers.Where(c => c.IsRayContainer).Take(1).DefaultIfEmpty(pod.Containers.FirstOrDefault(c => !c.IsInit)).OfType<LogContainer>().ToList();
            if (chosen.Count == 0)
            {
                sink.Error(new RayPSException(ErrorIds.ContainerNotFound, RayErrorCategory.ObjectNotFound,
                    $"Pod '{pod.Name}' has no container matching '{string.Join("', '", request.Containers ?? [])}'. Its containers: {string.Join(", ", pod.Containers.Select(c => c.Name))}.", pod.Name));
                continue;
            }
            reads.AddRange(chosen.Select(c => (pod, c)));
        }

        var options = new ContainerLogOptions(request.Previous, request.Tail, SinceSeconds(request.Since), request.Follow);
        using var throttle = new SemaphoreSlim(request.Follow ? Math.Max(reads.Count, 1) : Math.Max(1, request.ThrottleLimit));
        var tasks = reads.Select(r => ReadContainerAsync(connection, r.Pod, r.Container, options, throttle, request.Follow ? sink : null, ct)).ToList();
        foreach (var task in tasks)
        {
            var (lines, error) = await task.ConfigureAwait(false);
            if (error is not null)
            {
                sink.Error(error);
            }
            foreach (var line in lines)
            {
                sink.Line(line);
            }
        }
    }

    internal static long? SinceSeconds(TimeSpan? since) => since is { } s ? Math.Max(1, (long)Math.Ceiling(s.TotalSeconds)) : null;

    /// <summary>One container's log; with a <paramref name="live"/> sink (follow), lines go there as they arrive.</summary>
    private static async Task<(List<RayLogLine> Lines, RayPSException? Error)> ReadContainerAsync(KubeConnection connection, LogPod pod, LogContainer container,
        ContainerLogOptions options, SemaphoreSlim throttle, ILogSink? live, CancellationToken ct)
    {
        var lines = new List<RayLogLine>();
        await throttle.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var response = await ContainerLogReader.OpenAsync(connection, pod.Namespace, pod.Name, container.Name, options, ct).ConfigureAwait(false);
            await foreach (var (time, text) in ContainerLogReader.ReadLinesAsync(response, options.Timestamps, ct).ConfigureAwait(false))
            {
                var line = new RayLogLine
                {
                    ClusterName = pod.Facts.ClusterName ?? "",
                    Namespace = pod.Namespace,
                    PodName = pod.Name,
                    NodeType = pod.Facts.NodeType,
                    Group = pod.Facts.Group,
                    Source = "Container",
                    Container = container.Name,
                    Previous = options.Previous,
                    Termination = options.Previous ? container.PreviousTermination : null,
                    Timestamp = time,
                    Text = text,
                };
                if (live is not null)
                {
                    live.Line(line);
                }
                else
                {
                    lines.Add(line);
                }
            }
            return (lines, null);
        }
        catch (RayPSException ex)
        {
            return (lines, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException && !ct.IsCancellationRequested)
        {
            return (lines, new RayPSException(ErrorIds.KubeApiUnreachable, RayErrorCategory.ConnectionError,
                $"The log stream of pod '{pod.Name}' (container '{container.Name}') broke: {ex.Message}. Run the command again to read the rest.", pod.Name, ex));
        }
        finally
        {
            throttle.Release();
        }
    }

    private static async Task ReadRayLogsAsync(KubeConnection connection, NodeLogRequest request, IReadOnlyList<LogPod> pods, ILogSink sink, CancellationToken ct)
    {
        var reader = new RayLogReader(connection, request.Namespace, request.ClusterName, request.Timeout);
        var (nodes, problem) = await reader.NodesAsync(ct).ConfigureAwait(false);
        if (nodes is null)
        {
            sink.Error(problem!);
            return;
        }
        using var throttle = new SemaphoreSlim(Math.Max(1, request.ThrottleLimit));
        var since = request.Since is { } s ? request.Clock() - s : (DateTimeOffset?)null;
        // A follower starts from the last lines (Ray's default 1000 when -Tail is not given), not the whole file.
        // Ray reads lines=0 as its default (1000): -Tail 0 reads nothing, or when following starts from the last line.
        var lines = request.Tail ?? (request.Follow ? 1000 : -1);
        if (lines == 0 && !request.Follow)
        {
            return;
        }
        if (lines == 0)
        {
            lines = 1;
        }
        var tasks = pods.Select(pod => ReadPodRayLogsAsync(reader, nodes, pod, request.RayLogs!, lines, since, throttle, request.Follow ? sink : null, ct)).ToList();
        foreach (var task in tasks)
        {
            foreach (var item in await task.ConfigureAwait(false))
            {
                if (item.Error is { } error)
                {
                    sink.Error(error);
                }
                foreach (var line in item.Lines)
                {
                    sink.Line(line);
                }
            }
        }
    }

    private sealed record FileResult(List<RayLogLine> Lines, RayPSException? Error);

    private static async Task<List<FileResult>> ReadPodRayLogsAsync(RayLogReader reader, IReadOnlyDictionary<string, string> nodes, LogPod pod,
        IReadOnlyList<string> patterns, int lines, DateTimeOffset? since, SemaphoreSlim throttle, ILogSink? live, CancellationToken ct)
    {
        var results = new List<FileResult>();
        if (pod.Facts.PodIP is not { Length: > 0 } ip || !nodes.TryGetValue(ip, out var nodeId))
        {
            results.Add(new FileResult([], NoRayNode(pod)));
            return results;
        }
        IReadOnlyList<string> files;
        if (patterns.All(p => !LogText.HasWildcard(p)))
        {
            files = patterns;
        }
        else
        {
            await throttle.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var (listed, error) = await reader.ListAsync(nodeId, pod.Name, ct).ConfigureAwait(false);
                if (listed is null)
                {
                    results.Add(new FileResult([], error));
                    return results;
                }
                files = listed.Where(f => LogText.MatchesAny(patterns, f)).ToList();
            }
            finally
            {
                throttle.Release();
            }
        }
        if (live is not null)
        {
            // Follow: every file's stream stays open at once; lines go out as they come.
            var follows = files.Select(async file =>
            {
                var error = await reader.FollowAsync(nodeId, pod.Name, file, lines, text => live.Line(RayFileLine(pod, file, text)), ct).ConfigureAwait(false);
                return new FileResult([], error);
            }).ToList();
            foreach (var follow in follows)
            {
                results.Add(await follow.ConfigureAwait(false));
            }
            return results;
        }
        var reads = files.Select(async file =>
        {
            await throttle.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var (text, error) = await reader.ReadAsync(nodeId, pod.Name, file, lines, ct).ConfigureAwait(false);
                return new FileResult(text is null ? [] : RayFileLines(pod, file, text, since), error);
            }
            finally
            {
                throttle.Release();
            }
        }).ToList();
        foreach (var read in reads)
        {
            results.Add(await read.ConfigureAwait(false));
        }
        return results;
    }

    internal static RayPSException NoRayNode(LogPod pod) =>
        new(ErrorIds.RayLogReadFailed, RayErrorCategory.ResourceUnavailable,
            $"Pod '{pod.Name}' has no ALIVE Ray node (its raylet is not running or not registered with GCS), so Ray's log API cannot read its files. " +
            "Its container log still can: Get-RayNodeLog without -RayLog.", pod.Name);

    private static List<RayLogLine> RayFileLines(LogPod pod, string file, string text, DateTimeOffset? since)
    {
        var lines = new List<RayLogLine>();
        DateTimeOffset? last = null;
        var parts = text.Split('\n');
        var count = parts.Length > 0 && parts[^1].Length == 0 ? parts.Length - 1 : parts.Length;
        foreach (var raw in parts.Take(count))
        {
            var textLine = raw.TrimEnd('\r');
            var time = LogText.RayLineTime(textLine);
            last = time ?? last;
            if (since is { } from && (last is null || last < from))
            {
                continue;
            }
            lines.Add(RayFileLine(pod, file, textLine, time));
        }
        return lines;
    }

    private static RayLogLine RayFileLine(LogPod pod, string file, string text) => RayFileLine(pod, file, text, LogText.RayLineTime(text));

    private static RayLogLine RayFileLine(LogPod pod, string file, string text, DateTimeOffset? time) => new()
    {
        ClusterName = pod.Facts.ClusterName ?? "",
        Namespace = pod.Namespace,
        PodName = pod.Name,
        NodeType = pod.Facts.NodeType,
        Group = pod.Facts.Group,
        Source = "RayLog",
        File = file,
        Timestamp = time,
        Text = text,
    };
}
