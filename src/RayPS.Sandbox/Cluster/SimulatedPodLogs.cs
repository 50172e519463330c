using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Net;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Cluster;

/// <summary>
/// Container logs of the simulated pods: what <c>ray start</c> prints (head and worker), the
/// wait-gcs-ready init container's progress, nothing for other containers.
/// </summary>
internal sealed class SimulatedPodLogs(ObjectStore store) : IPodLogSource
{
    public async Task WriteLogAsync(string @namespace, string pod, PodLogOptions options, Stream output, CancellationToken cancellationToken)
    {
        var obj = store.TryGet(Gvr.Pods, @namespace, pod);
        if (obj is null)
        {
            return;
        }
        var lines = Lines(obj, options.Container, options.Previous);
        if (options.TailLines is { } tail)
        {
            lines = lines.Skip(Math.Max(0, lines.Count - (int)tail)).ToList();
        }
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
        if (options.LimitBytes is { } limit && bytes.Length > limit)
        {
            bytes = bytes[..(int)limit];
        }
        await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        if (!options.Follow)
        {
            return;
        }
        var uid = ObjectMeta.Uid(obj);
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            if (store.TryGet(Gvr.Pods, @namespace, pod) is not { } current || ObjectMeta.Uid(current) != uid)
            {
                return;
            }
        }
    }

    private static List<(DateTimeOffset Time, string Line)> Lines(JsonObject pod, string container, bool previous)
    {
        var spec = PodInfo.Containers(pod).Concat(PodInfo.InitContainers(pod)).FirstOrDefault(c => JsonNodes.GetString(c["name"]) == container);
        var statuses = ((JsonNodes.At(pod, "status", "containerStatuses") as JsonArray)?.OfType<JsonObject>() ?? [])
            .Concat((JsonNodes.At(pod, "status", "initContainerStatuses") as JsonArray)?.OfType<JsonObject>() ?? []);
        var status = statuses.FirstOrDefault(s => JsonNodes.GetString(s["name"]) == container);
        if (spec is null || status is null)
        {
            return [];
        }
        var stateKey = previous ? "lastState" : "state";
        var started = JsonNodes.StringAt(status, stateKey, "running", "startedAt") ?? JsonNodes.StringAt(status, stateKey, "terminated", "startedAt");
        if (started is null || !DateTimeOffset.TryParse(started, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return [];
        }
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
        var reason = JsonNodes.StringAt(status, stateKey, "terminated", "reason");
        if (previous && reason is not null)
        {
            var finished = JsonNodes.StringAt(status, stateKey, "terminated", "finishedAt");
            var end = DateTimeOffset.TryParse(finished, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var f) ? f : at;
            lines.Add((end, $"{end.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture)}\tERROR scripts.py:1204 -- Some Ray subprocesses exited unexpectedly:"));
            lines.Add((end, $"{end.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture)}\tERROR scripts.py:1207 --   raylet [exit code={(reason == "OOMKilled" ? -9 : 1)}]"));
        }
        return lines;
    }
}
