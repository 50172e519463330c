using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Net;
using RayPS.Sandbox.Ray;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Cluster;

/// <summary>
/// Container logs of the simulated pods, as the kubelet serves them: what <c>ray start</c> prints (head and worker), the
/// raylet's own lines when the container sets RAY_LOG_TO_STDERR=1, the wait-gcs-ready init container's progress, and
/// what <c>ray start --block</c> prints when the raylet is killed (OOM kill, liveness kill, crash). The instance read is
/// the kubelet's choice: the running one, else the last terminated one; <c>previous</c> is the one before. sinceSeconds,
/// tailLines, timestamps and limitBytes apply in the kubelet's order; <c>follow</c> streams until the instance stops.
/// </summary>
internal sealed class SimulatedPodLogs(ObjectStore store, RayRegistry? ray = null) : IPodLogSource
{
    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(200);

    public async Task WriteLogAsync(string @namespace, string pod, PodLogOptions options, Stream output, CancellationToken cancellationToken)
    {
        var obj = store.TryGet(Gvr.Pods, @namespace, pod);
        if (obj is null)
        {
            return;
        }
        var instance = Instance(obj, options.Container, options.Previous);
        var lines = Lines(obj, options.Container, instance, RayNodeFor(@namespace, pod, instance));
        if (options.SinceSeconds is { } since)
        {
            var from = DateTimeOffset.UtcNow.AddSeconds(-since);
            lines = lines.Where(l => l.Time >= from).ToList();
        }
        if (options.TailLines is { } tail)
        {
            lines = lines.Skip(Math.Max(0, lines.Count - (int)tail)).ToList();
        }
        long written = 0;
        if (!await WriteAsync(lines, options, output, ref written, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        if (!options.Follow || options.Previous || instance?.Running != true)
        {
            return;
        }
        // Follow: the kubelet keeps the stream open while this container instance runs and closes it when it stops.
        var uid = ObjectMeta.Uid(obj);
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(FollowPoll, cancellationToken).ConfigureAwait(false);
            if (store.TryGet(Gvr.Pods, @namespace, pod) is not { } current || ObjectMeta.Uid(current) != uid)
            {
                return;
            }
            var now = Instance(current, options.Container, previous: false);
            var stopped = now?.StartedAt != instance.StartedAt || now?.Running != true;
            if (!stopped)
            {
                continue;
            }
            // The instance we follow is now the last terminated one (or the pod lost its status): write its ending.
            var ended = Instance(current, options.Container, previous: now?.Running == true);
            if (ended is not null && ended.StartedAt == instance.StartedAt)
            {
                await WriteAsync(Ending(ended), options, output, ref written, cancellationToken).ConfigureAwait(false);
            }
            return;
        }
    }

    private static Task<bool> WriteAsync(List<(DateTimeOffset Time, string Line)> lines, PodLogOptions options, Stream output, ref long written, CancellationToken ct)
    {
        var text = new StringBuilder();
        foreach (var (time, line) in lines)
        {
            if (options.Timestamps)
            {
                text.Append(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)).Append(' ');
            }
            text.Append(line).Append('\n');
        }
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        var more = true;
        if (options.LimitBytes is { } limit && written + bytes.Length >= limit)
        {
            bytes = bytes[..(int)Math.Max(0, limit - written)];
            more = false;
        }
        written += bytes.Length;
        return WriteBytesAsync(output, bytes, more, ct);
    }

    private static async Task<bool> WriteBytesAsync(Stream output, byte[] bytes, bool more, CancellationToken ct)
    {
        if (bytes.Length > 0)
        {
            await output.WriteAsync(bytes, ct).ConfigureAwait(false);
            await output.FlushAsync(ct).ConfigureAwait(false);
        }
        return more;
    }

    /// <summary>One run of a container: when it started, whether it still runs, how it ended.</summary>
    private sealed record ContainerRun(DateTimeOffset StartedAt, bool Running, string? Reason, int? ExitCode, DateTimeOffset? FinishedAt);

    /// <summary>The instance the kubelet reads (validateContainerLogStatus has already refused the other cases).</summary>
    private static ContainerRun? Instance(JsonObject pod, string container, bool previous)
    {
        var statuses = ((JsonNodes.At(pod, "status", "containerStatuses") as JsonArray)?.OfType<JsonObject>() ?? [])
            .Concat((JsonNodes.At(pod, "status", "initContainerStatuses") as JsonArray)?.OfType<JsonObject>() ?? []);
        var status = statuses.FirstOrDefault(s => JsonNodes.GetString(s["name"]) == container);
        if (status is null)
        {
            return null;
        }
        JsonObject? Terminated(string key) => JsonNodes.At(status, key, "terminated") as JsonObject;
        ContainerRun? From(JsonObject? terminated) => terminated is null || Time(JsonNodes.GetString(terminated["startedAt"])) is not { } at
            ? null
            : new ContainerRun(at, false, JsonNodes.GetString(terminated["reason"]), (int?)JsonNodes.GetInteger(terminated["exitCode"]), Time(JsonNodes.GetString(terminated["finishedAt"])));
        if (previous)
        {
            return From(Terminated("lastState"));
        }
        if (Time(JsonNodes.StringAt(status, "state", "running", "startedAt")) is { } running)
        {
            return new ContainerRun(running, true, null, null, null);
        }
        return From(Terminated("state")) ?? From(Terminated("lastState"));
    }

    private static DateTimeOffset? Time(string? text) =>
        text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    private (RayClusterState Cluster, RayNode Node)? RayNodeFor(string ns, string pod, ContainerRun? run)
    {
        if (ray is null || run is not { Running: true } || ray.NodeForPod(ns, pod) is not { } node || ray.ClusterForPod(ns, pod) is not { } cluster)
        {
            return null;
        }
        return (cluster, node);
    }

    private static List<(DateTimeOffset Time, string Line)> Lines(JsonObject pod, string container, ContainerRun? run, (RayClusterState Cluster, RayNode Node)? rayNode)
    {
        var spec = PodInfo.Containers(pod).Concat(PodInfo.InitContainers(pod)).FirstOrDefault(c => JsonNodes.GetString(c["name"]) == container);
        if (spec is null || run is null)
        {
            return [];
        }
        var at = run.StartedAt;
        var ip = JsonNodes.StringAt(pod, "status", "podIP") ?? "";
        if (KubeletPod.GcsAddress(spec) is not null)
        {
            return [(at, "GCS is ready.")];
        }
        if (RayStartCommand.Parse(RayStartCommand.ContainerCommandLine(spec)) is not { } ray)
        {
            return [];
        }
        string Stamp(double seconds) => at.AddSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture);
        var lines = new List<(DateTimeOffset, string)>();
        void Add(double seconds, string level, string text) => lines.Add((at.AddSeconds(seconds), $"{Stamp(seconds)}\t{level} scripts.py:{(ray.IsHead ? 1007 : 1165)} -- {text}"));
        lines.Add((at, $"{Stamp(0)}\tINFO usage_lib.py:467 -- Usage stats collection is enabled by default without user confirmation because this terminal is detected to be non-interactive. To disable this, add `--disable-usage-stats` to the command that starts the cluster, or run the following command: `ray disable-usage-stats` before starting the cluster. See https://docs.ray.io/en/master/cluster/usage-stats.html for more details."));
        Add(0.01, "INFO", "Local node IP: " + ip);
        Add(1.5, "SUCC", "--------------------");
        Add(1.5, "SUCC", "Ray runtime started.");
        Add(1.5, "SUCC", "--------------------");
        if (ray.IsHead)
        {
            var port = ray.Get("port") ?? "6379";
            Add(1.5, "INFO", "Next steps");
            Add(1.5, "INFO", "  To add another node to this Ray cluster, run");
            Add(1.5, "INFO", $"    ray start --address='{ip}:{port}'");
            Add(1.5, "INFO", "  To connect to this Ray cluster:");
            Add(1.5, "INFO", "    import ray");
            Add(1.5, "INFO", "    ray.init()");
            Add(1.5, "INFO", "  To submit a Ray job using the Ray Jobs CLI:");
            Add(1.5, "INFO", $"    RAY_ADDRESS='http://{ip}:{ray.GetPort("dashboard-port", KubeRayConstants.DefaultDashboardPort)}' ray job submit --working-dir . -- python my_script.py");
            Add(1.5, "INFO", "  To see the status of the cluster, use");
            Add(1.5, "INFO", "    ray status");
            Add(1.5, "INFO", "  To monitor and debug Ray, view the dashboard at ");
            Add(1.5, "INFO", $"    {ip}:{ray.GetPort("dashboard-port", KubeRayConstants.DefaultDashboardPort)}");
        }
        else
        {
            Add(1.5, "INFO", "To terminate the Ray runtime, run");
            Add(1.5, "INFO", "  ray stop");
        }
        if (ray.Get("block") is "true")
        {
            Add(1.5, "INFO", "--block");
            Add(1.5, "INFO", "This command will now block forever until terminated by a signal.");
            Add(1.5, "INFO", "Running subprocesses are monitored and a message will be printed if any of them terminate unexpectedly. Subprocesses exit with SIGTERM will be treated as graceful, thus NOT reported.");
        }
        if (rayNode is { } rn && (spec["env"] as JsonArray)?.OfType<JsonObject>().Any(e => JsonNodes.GetString(e["name"]) == "RAY_LOG_TO_STDERR" && JsonNodes.GetString(e["value"]) == "1") == true)
        {
            foreach (var line in RaySessionLogs.RayletLines(rn.Cluster, rn.Node, at.AddSeconds(0.5), DateTimeOffset.UtcNow))
            {
                lines.Add((at.AddSeconds(0.5), line));
            }
        }
        lines.AddRange(Ending(run));
        return lines;
    }

    /// <summary>
    /// What <c>ray start --block</c> prints when its raylet dies: the dead subprocess with its exit code, then it kills the
    /// rest (exit 1). A kernel OOM kill is a SIGKILL (-9) without a word from the raylet: only the kubelet's lastState
    /// (OOMKilled) names the cause.
    /// </summary>
    private static List<(DateTimeOffset Time, string Line)> Ending(ContainerRun run)
    {
        var lines = new List<(DateTimeOffset, string)>();
        if (run.Running || run.Reason is null or "Completed")
        {
            return lines;
        }
        var end = run.FinishedAt ?? run.StartedAt;
        var stamp = end.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture);
        var oom = run.Reason == "OOMKilled";
        lines.Add((end, $"{stamp}\tERROR scripts.py:1204 -- Some Ray subprocesses exited unexpectedly:"));
        lines.Add((end, $"{stamp}\tERROR scripts.py:1207 --   raylet [exit code={(oom || run.ExitCode == 137 ? -9 : 1)}]"));
        lines.Add((end, $"{stamp}\tERROR scripts.py:1212 -- Remaining processes will be killed."));
        return lines;
    }
}
