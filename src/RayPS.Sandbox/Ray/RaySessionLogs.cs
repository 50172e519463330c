using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Ray;

/// <summary>
/// The files a simulated Ray node keeps in <c>/tmp/ray/session_*/logs</c> and the head dashboard's log API over them:
/// <c>GET /api/v0/logs?node_id|node_ip[&amp;glob]</c> lists a node's files by component (the state API's
/// <c>_categorize_log_files</c>), <c>GET /api/v0/logs/file?node_id|node_ip&amp;filename[&amp;lines][&amp;format]</c> reads
/// one. Read errors come back with status 200 and the error in the body, as Ray streams them: after a leading
/// <c>0</c> (format leading_1, the default) or as <c>[get_logs] Fetch log error: ...</c> (format=text).
/// </summary>
internal static class RaySessionLogs
{
    private const int DefaultLines = 1000;

    public static RayResponse List(RayClusterState cluster, RayRequest request, Func<string, RayResponse> stateError)
    {
        var nodeId = request.QueryValue("node_id");
        var nodeIp = request.QueryValue("node_ip");
        if (string.IsNullOrEmpty(nodeId) && string.IsNullOrEmpty(nodeIp))
        {
            return stateError("Both node id and node ip are not provided. Please provide at least one of them.");
        }
        if (request.QueryValue("timeout") is { } timeout && !int.TryParse(timeout, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            return RayResponse.AiohttpError(500, "Internal Server Error");
        }
        var node = Find(cluster, nodeId, nodeIp);
        if (node is null && string.IsNullOrEmpty(nodeId))
        {
            return stateError($"Cannot find matching node_id for a given node ip {nodeIp}");
        }
        if (node is null)
        {
            // "Agent for node id: ... doesn't exist." is a ValueError the handler does not catch: aiohttp's 500.
            return RayResponse.AiohttpError(500, "Internal Server Error");
        }
        var glob = request.QueryValue("glob") ?? "*";
        var categories = new SortedDictionary<string, JsonArray>(StringComparer.Ordinal);
        foreach (var file in Files(cluster, node).Where(f => GlobMatches(glob, f)))
        {
            var category = Category(file);
            if (!categories.TryGetValue(category, out var list))
            {
                categories[category] = list = [];
            }
            list.Add(file);
        }
        var result = new JsonObject();
        foreach (var (k, v) in categories)
        {
            result[k] = v;
        }
        return RayResponse.Json(200, new JsonObject { ["result"] = true, ["msg"] = "", ["data"] = new JsonObject { ["result"] = result } });
    }

    /// <summary>
    /// <c>/api/v0/logs/stream</c>: the file's tail, then its new lines as they are written (the agent re-reads the file every
    /// <c>interval</c> seconds, default 1) until the client leaves; a node that goes away ends the stream with the error.
    /// </summary>
    public static RayResponse Stream(RayClusterState cluster, RayRequest request)
    {
        var first = Read(cluster, request);
        var text = request.QueryValue("format") == "text";
        if (first.Status != 200 || first.BodyText.StartsWith(ReadErrorText, StringComparison.Ordinal) || first.BodyText.StartsWith('0'))
        {
            return first;
        }
        var node = Find(cluster, request.QueryValue("node_id"), request.QueryValue("node_ip"))!;
        var filename = request.QueryValue("filename")!;
        var interval = double.TryParse(request.QueryValue("interval"), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : 1.0;
        return new RayResponse
        {
            Status = 200,
            ContentType = "text/plain",
            StreamBody = async (stream, ct) =>
            {
                if (first.Body.Length > 0)
                {
                    await stream.WriteAsync(first.Body, ct).ConfigureAwait(false);
                    await stream.FlushAsync(ct).ConfigureAwait(false);
                }
                var sent = LineCount(FileText(cluster, node, filename) ?? "");
                while (!ct.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.05, interval)), ct).ConfigureAwait(false);
                    var now = node.State == RayNodeState.Alive ? FileText(cluster, node, filename) : null;
                    if (now is null)
                    {
                        var error = $"Agent for node id: {node.NodeId} doesn't exist.";
                        await stream.WriteAsync(Encoding.UTF8.GetBytes(text ? ReadErrorText + error : "0Closing HTTP stream due to internal server error.\n" + error), ct).ConfigureAwait(false);
                        return;
                    }
                    var lines = now.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    if (lines.Length <= sent)
                    {
                        continue;
                    }
                    var fresh = string.Join('\n', lines.Skip(sent)) + "\n";
                    sent = lines.Length;
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(text ? fresh : "1" + fresh), ct).ConfigureAwait(false);
                    await stream.FlushAsync(ct).ConfigureAwait(false);
                }
            },
        };
    }

    private const string ReadErrorText = "[get_logs] Fetch log error: ";

    private static int LineCount(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    public static RayResponse Read(RayClusterState cluster, RayRequest request)
    {
        var format = request.QueryValue("format") ?? "leading_1";
        if (format is not ("text" or "leading_1"))
        {
            return RayResponse.AiohttpError(500, "Internal Server Error");
        }
        var node = Find(cluster, request.QueryValue("node_id"), request.QueryValue("node_ip"));
        var filename = request.QueryValue("filename");
        string? error = null;
        string? text = null;
        var lines = DefaultLines;
        if (request.QueryValue("lines") is { } linesText && !int.TryParse(linesText, NumberStyles.Integer, CultureInfo.InvariantCulture, out lines))
        {
            error = $"invalid literal for int() with base 10: '{linesText}'";
        }
        else if (node is null)
        {
            error = $"Agent for node id: {request.QueryValue("node_id") ?? "None"} doesn't exist.";
        }
        else if (string.IsNullOrEmpty(filename))
        {
            error = "Could not find a log file. Please make sure the given option exists in the cluster.\n"
                + $"\tnode_id: {node.NodeId}\n\tfilename: None\n\tactor_id: None\n\ttask_id: None\n\tpid: None\n\tsuffix: out\n\tsubmission_id: None\n\tattempt_number: 0\n";
        }
        else
        {
            text = FileText(cluster, node, filename);
            if (text is null)
            {
                error = $"A file is not found at: /tmp/ray/{cluster.SessionName}/logs/{filename.TrimStart('/')}";
            }
        }
        if (error is not null)
        {
            var body = format == "text" ? ReadErrorText + error : "0Closing HTTP stream due to internal server error.\n" + error;
            return RayResponse.Text(200, body, "text/plain");
        }
        var tail = Tail(text!, lines == 0 ? DefaultLines : lines);
        return RayResponse.Text(200, format == "text" || tail.Length == 0 ? tail : "1" + tail, "text/plain");
    }

    /// <summary>The last <paramref name="lines"/> lines (-1: the whole file), as the agent's offset search cuts them.</summary>
    internal static string Tail(string text, int lines)
    {
        if (lines < 0 || text.Length == 0)
        {
            return text;
        }
        var endsWithNewline = text.EndsWith('\n');
        var parts = text.Split('\n');
        var count = endsWithNewline ? parts.Length - 1 : parts.Length;
        if (lines >= count)
        {
            return text;
        }
        return string.Join('\n', parts.Skip(count - lines).Take(lines)) + (endsWithNewline ? "\n" : "");
    }

    private static RayNode? Find(RayClusterState cluster, string? nodeId, string? nodeIp) =>
        !string.IsNullOrEmpty(nodeId)
            ? cluster.AliveNodes.FirstOrDefault(n => n.NodeId == nodeId)
            : cluster.AliveNodes.FirstOrDefault(n => n.Ip == nodeIp);

    /// <summary>The state API's component of a log file name.</summary>
    internal static string Category(string file) => file switch
    {
        _ when file.Contains("worker", StringComparison.Ordinal) && file.EndsWith(".out", StringComparison.Ordinal) => "worker_out",
        _ when file.Contains("worker", StringComparison.Ordinal) && file.EndsWith(".err", StringComparison.Ordinal) => "worker_err",
        _ when file.Contains("core-worker", StringComparison.Ordinal) && file.EndsWith(".log", StringComparison.Ordinal) => "core_worker",
        _ when file.Contains("core-driver", StringComparison.Ordinal) && file.EndsWith(".log", StringComparison.Ordinal) => "driver",
        _ when file.Contains("raylet.", StringComparison.Ordinal) => "raylet",
        _ when file.Contains("gcs_server.", StringComparison.Ordinal) => "gcs_server",
        _ when file.Contains("log_monitor", StringComparison.Ordinal) => "internal",
        _ when file.Contains("monitor", StringComparison.Ordinal) => "autoscaler",
        _ when file.Contains("agent.", StringComparison.Ordinal) => "agent",
        _ when file.Contains("dashboard.", StringComparison.Ordinal) => "dashboard",
        _ => "internal",
    };

    /// <summary>A glob over top-level names ('*' and '?'; a directory matches with its trailing '/' left off).</summary>
    internal static bool GlobMatches(string glob, string file)
    {
        var name = file.TrimEnd('/');
        var pattern = "^" + System.Text.RegularExpressions.Regex.Escape(glob).Replace("\\*", "[^/]*").Replace("\\?", "[^/]") + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(name, pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    }

    /// <summary>The node's log directory: files, and directories with a trailing '/' (as ListLogs reports them).</summary>
    internal static IReadOnlyList<string> Files(RayClusterState cluster, RayNode node)
    {
        var files = new List<string> { "events/", "old/", "raylet.out", "raylet.err", "dashboard_agent.log", "log_monitor.log", "log_monitor.err", "runtime_env_agent.log" };
        if (node.IsHead)
        {
            files.AddRange(["gcs_server.out", "gcs_server.err", "dashboard.log", "dashboard.err", "monitor.log", "monitor.out", "monitor.err"]);
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>The content of one of the node's log files, null when it has no such file.</summary>
    internal static string? FileText(RayClusterState cluster, RayNode node, string file)
    {
        if (!Files(cluster, node).Contains(file) || file.EndsWith('/'))
        {
            return null;
        }
        var start = DateTimeOffset.FromUnixTimeMilliseconds(node.StartTimeMs);
        var sb = new StringBuilder();
        switch (file)
        {
            case "raylet.out":
                foreach (var line in RayletLines(cluster, node, start, cluster.Now))
                {
                    sb.Append(line).Append('\n');
                }
                break;
            case "gcs_server.out":
                Native(sb, start, "gcs_server", "gcs_server_main.cc:66", $"Ray cluster metadata ray_version={node.RayVersion} ray_commit={cluster.RayCommit}");
                Native(sb, start.AddMilliseconds(3), "gcs_server", "gcs_server.cc:79", "GCS storage type is StorageType::IN_MEMORY");
                Native(sb, start.AddMilliseconds(40), "gcs_server", "grpc_server.cc:141", "GcsServer server started, listening on port 6379.");
                // In time order, so that a follower sees new registrations and removals appended.
                var events = new List<(long Ms, int Order, Action<StringBuilder> Write)>();
                foreach (var n in cluster.Nodes)
                {
                    var at = DateTimeOffset.FromUnixTimeMilliseconds(n.StartTimeMs);
                    events.Add((n.StartTimeMs, 0, b => Native(b, at, "gcs_server", "gcs_node_manager.cc:83", $"Registering new node. node_id={n.NodeId} node_name={n.Ip} node_address={n.Ip}")));
                    if (n.State == RayNodeState.Dead)
                    {
                        var end = Math.Max(n.EndTimeMs, n.StartTimeMs);
                        events.Add((end, 1, b => Native(b, DateTimeOffset.FromUnixTimeMilliseconds(end), "gcs_server", "gcs_node_manager.cc:336",
                            $"Removing node, node name = {n.Ip}, death reason = {n.DeathReason}, death message = {n.DeathMessage} node_id={n.NodeId}", 'W')));
                    }
                }
                foreach (var e in events.OrderBy(e => e.Ms).ThenBy(e => e.Order))
                {
                    e.Write(sb);
                }
                break;
            case "dashboard.log":
                Python(sb, start.AddSeconds(1), "INFO", "head.py:246", $"Starting dashboard metrics server on port 44227");
                Python(sb, start.AddSeconds(1), "INFO", "head.py:389", $"Dashboard head grpc address: {node.Ip}:40821");
                Python(sb, start.AddSeconds(1.2), "INFO", "http_server_head.py:292", $"Dashboard head http address: {node.Ip}:{node.DashboardPort}");
                Python(sb, start.AddSeconds(1.3), "INFO", "head.py:409", "Loaded 22 dashboard head modules.");
                break;
            case "dashboard_agent.log":
                Python(sb, start.AddSeconds(1.1), "INFO", "agent.py:188", $"Dashboard agent grpc address: {node.Ip}:{node.AgentPort + 1}");
                Python(sb, start.AddSeconds(1.2), "INFO", "agent.py:233", $"Dashboard agent http address: {node.Ip}:{node.AgentPort}");
                Python(sb, start.AddSeconds(1.2), "INFO", "agent.py:243", "Loaded 15 modules.");
                break;
            case "monitor.log":
                Python(sb, start.AddSeconds(1.5), "INFO", "monitor.py:691", $"Starting monitor using ray installation: /home/ray/anaconda3/lib/python3.11/site-packages/ray/__init__.py");
                Python(sb, start.AddSeconds(1.5), "INFO", "monitor.py:692", $"Ray version: {node.RayVersion}");
                Python(sb, start.AddSeconds(1.6), "INFO", "monitor.py:159", $"Monitor: Started");
                break;
            case "log_monitor.log":
                Python(sb, start.AddSeconds(1), "INFO", "log_monitor.py:268", $"Starting log monitor with [max open files=200], [is_autoscaler_v2=False]");
                break;
            case "runtime_env_agent.log":
                Python(sb, start.AddSeconds(1), "INFO", "main.py:229", $"Starting runtime env agent at version {node.RayVersion}");
                break;
        }
        return sb.ToString();
    }

    /// <summary>The raylet's own log lines (raylet.out; also the container's stderr with RAY_LOG_TO_STDERR=1).</summary>
    internal static IEnumerable<string> RayletLines(RayClusterState cluster, RayNode node, DateTimeOffset start, DateTimeOffset now)
    {
        var objectStore = node.Resources.GetValueOrDefault("object_store_memory");
        var sb = new StringBuilder();
        Native(sb, start, "raylet", "main.cc:227", $"Setting cluster ID to: {ClusterId(cluster)}");
        Native(sb, start.AddMilliseconds(1), "raylet", "main.cc:363", "Raylet is not set to kill unknown children.");
        Native(sb, start.AddMilliseconds(1), "raylet", "io_service_pool.cc:35", "IOServicePool is running with 1 io_service.");
        Native(sb, start.AddMilliseconds(2), "raylet", "main.cc:479", $"Setting node ID node_id={node.NodeId}");
        Native(sb, start.AddMilliseconds(3), "raylet", "store_runner.cc:33",
            $"Allowing the Plasma store to use up to {(objectStore / 1e9).ToString("0.##", CultureInfo.InvariantCulture)}GB of memory.");
        Native(sb, start.AddMilliseconds(4), "raylet", "node_manager.cc:320", $"Initializing NodeManager node_id={node.NodeId}");
        Native(sb, start.AddMilliseconds(5), "raylet", "grpc_server.cc:141", $"ObjectManager server started, listening on port {node.ObjectManagerPort}.");
        Native(sb, start.AddMilliseconds(6), "raylet", "memory_monitor.cc:47",
            $"MemoryMonitor initialized with usage threshold at {(long)(node.HostMemory * 0.95)} bytes (0.95 system memory), total system memory bytes: {(long)node.HostMemory}");
        Native(sb, start.AddMilliseconds(8), "raylet", "raylet.cc:134",
            $"Raylet of id, {node.NodeId} started. Raylet consists of node_manager and object_manager. node_manager address: {node.Ip}:{node.NodeManagerPort} object_manager address: {node.Ip}:{node.ObjectManagerPort} hostname: {node.Hostname}");
        Native(sb, start.AddMilliseconds(20), "raylet", "accessor.cc:762", $"Received notification for node, IsAlive = 1 node_id={node.NodeId}");
        if (!node.RayletHealthy && now > start.AddSeconds(1))
        {
            Native(sb, now.AddSeconds(-1), "raylet", "node_manager.cc:1117",
                "The raylet has not been able to report to GCS for 30 s: the local raylet is failing its health checks.", 'E');
        }
        if (node.State == RayNodeState.Dead)
        {
            Native(sb, DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(node.EndTimeMs, node.StartTimeMs)), "raylet", "node_manager.cc:1042",
                $"[Timeout] Exiting because this node manager has mistakenly been marked as dead by the GCS: {node.StateMessage}", 'C');
        }
        return sb.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>A C++ component's line: <c>[2025-06-01 12:00:00,123 I 45 45] (raylet) file.cc:12: text</c>.</summary>
    private static void Native(StringBuilder sb, DateTimeOffset at, string component, string where, string text, char level = 'I') =>
        sb.Append('[').Append(at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture)).Append(' ').Append(level)
            .Append(" 45 45] (").Append(component).Append(") ").Append(where).Append(": ").Append(text).Append('\n');

    /// <summary>A Python component's line: <c>2025-06-01 12:00:00,123\tINFO head.py:12 -- text</c>.</summary>
    private static void Python(StringBuilder sb, DateTimeOffset at, string level, string where, string text) =>
        sb.Append(at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture)).Append('\t').Append(level).Append(' ')
            .Append(where).Append(" -- ").Append(text).Append('\n');

    private static string ClusterId(RayClusterState cluster) =>
        Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(cluster.SessionName))).ToLowerInvariant()[..40] + "0000000000000000";
}
