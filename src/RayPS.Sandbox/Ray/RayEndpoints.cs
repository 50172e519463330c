using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Ray;

/// <summary>
/// The head's dashboard (port 8265): health, version, node views, the State API, cluster status,
/// the Jobs REST API, the index page, and <c>/api/sandbox/blob?bytes=N</c> (N bytes, for transfer benchmarks).
/// </summary>
internal sealed class RayDashboard(RayClusterState cluster, RayRegistry registry) : IRayEndpoint
{
    private static readonly string[] PublicPaths =
        ["/", "/favicon.ico", "/api/authentication_mode", "/api/authenticate", "/api/healthz", "/api/gcs_healthz", "/api/local_raylet_healthz", "/-/healthz"];

    public const long MaxBlobBytes = 64L * 1024 * 1024 * 1024;

    private const string IndexHtml =
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"/><link rel=\"shortcut icon\" href=\"./favicon.ico\"/>"
        + "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"/><meta name=\"theme-color\" content=\"#000000\"/>"
        + "<title>Ray Dashboard</title><script defer=\"defer\" src=\"./static/js/main.js\"></script><link href=\"./static/css/main.css\" rel=\"stylesheet\">"
        + "</head><body><noscript>You need to enable JavaScript to run this app.</noscript><div id=\"root\"></div></body></html>";

    public RayClusterState Cluster => cluster;

    public Task<RayResponse> HandleAsync(RayRequest request, CancellationToken cancellationToken) => Task.FromResult(Respond(request));

    /// <summary>Answers synchronously (the dashboard never delays).</summary>
    internal RayResponse Respond(RayRequest request)
    {
        var path = request.Path;
        if (request.Method is "POST" or "PUT" && path != "/api/authenticate" && LooksLikeBrowser(request))
        {
            return RayResponse.Text(405, "Method Not Allowed for browser traffic.", RayResponse.TextPlain, "Method Not Allowed");
        }
        if (cluster.AuthToken is { } token && !IsPublic(path) && Authenticate(request, token) is { } denied)
        {
            return denied;
        }
        return Route(request);
    }

    private static bool LooksLikeBrowser(RayRequest request) =>
        (request.Header("User-Agent")?.StartsWith("Mozilla", StringComparison.Ordinal) ?? false)
        || request.Headers.Keys.Any(k => k.StartsWith("Sec-Fetch-", StringComparison.OrdinalIgnoreCase) || k.Equals("Origin", StringComparison.OrdinalIgnoreCase)
            || k.StartsWith("Access-Control-Request-", StringComparison.OrdinalIgnoreCase));

    private static bool IsPublic(string path) => PublicPaths.Contains(path) || path.StartsWith("/static/", StringComparison.Ordinal);

    private static RayResponse? Authenticate(RayRequest request, string token)
    {
        string? presented = null;
        foreach (var header in new[] { "Authorization", "X-Ray-Authorization" })
        {
            if (!string.IsNullOrEmpty(request.Header(header)))
            {
                presented = request.Header(header);
                break;
            }
        }
        if (presented is null && request.Header("Cookie") is { } cookie)
        {
            foreach (var part in cookie.Split(';'))
            {
                var kv = part.Trim();
                if (kv.StartsWith("ray-authentication-token=", StringComparison.Ordinal))
                {
                    presented = "Bearer " + kv["ray-authentication-token=".Length..];
                    break;
                }
            }
        }
        if (presented is null)
        {
            return RayResponse.Text(401, "Unauthorized: Missing authentication token", RayResponse.TextPlain, "Unauthorized");
        }
        var ok = token.Length == 0 ? presented.StartsWith("Bearer ", StringComparison.Ordinal) && presented.Length > 7 : presented == "Bearer " + token;
        return ok ? null : RayResponse.Text(403, "Forbidden: Invalid authentication token", RayResponse.TextPlain, "Forbidden");
    }

    private RayResponse Route(RayRequest request)
    {
        var path = request.Path;
        var m = request.Method;
        switch (path)
        {
            case "/":
                return Only(m, "GET") ?? RayResponse.Text(200, IndexHtml, "text/html");
            case "/api/gcs_healthz":
                return Only(m, "GET") ?? GcsHealthz();
            case "/api/version":
                return Only(m, "GET") ?? RayResponse.Json(200, new JsonObject
                {
                    ["version"] = "4",
                    ["ray_version"] = cluster.RayVersion,
                    ["ray_commit"] = cluster.RayCommit,
                    ["session_name"] = cluster.SessionName,
                });
            case "/api/authentication_mode" when RayText.CompareVersions(cluster.RayVersion, "2.52.0") >= 0:
                return Only(m, "GET") ?? RayResponse.Json(200, new JsonObject { ["authentication_mode"] = cluster.AuthToken is null ? "disabled" : "token" });
            case "/nodes":
                return Only(m, "GET") ?? Nodes(request);
            case "/api/v0/nodes":
                return Only(m, "GET") ?? StateNodes(request);
            case "/api/cluster_status":
                return Only(m, "GET") ?? ClusterStatus(request);
            case "/api/component_activities":
                return Only(m, "GET") ?? ComponentActivities();
            case "/api/jobs/":
                return m switch
                {
                    "GET" => cluster.Jobs.List(),
                    "POST" => cluster.Jobs.Submit(request.Body),
                    _ => RayResponse.MethodNotAllowed("GET", "POST"),
                };
            case "/api/v0/logs":
                return Only(m, "GET") ?? RaySessionLogs.List(cluster, request, message => StateError(message, badRequest: false));
            case "/api/v0/logs/file":
                return Only(m, "GET") ?? RaySessionLogs.Read(cluster, request);
            case "/api/v0/logs/stream":
                return Only(m, "GET") ?? RaySessionLogs.Stream(cluster, request);
            case "/api/sandbox/blob":
                return Only(m, "GET") ?? Blob(request);
        }
        if (path.StartsWith("/nodes/", StringComparison.Ordinal) && path.Length > "/nodes/".Length && !path["/nodes/".Length..].Contains('/'))
        {
            return Only(m, "GET") ?? NodeDetail(path["/nodes/".Length..]);
        }
        if (path.StartsWith("/api/packages/", StringComparison.Ordinal) && path["/api/packages/".Length..].Split('/') is [{ Length: > 0 } protocol, { Length: > 0 } package])
        {
            return m switch
            {
                "GET" or "HEAD" => cluster.Jobs.GetPackage(protocol, package),
                "PUT" => cluster.Jobs.PutPackage(protocol, package, request.Body),
                _ => RayResponse.MethodNotAllowed("GET", "PUT"),
            };
        }
        if (path.StartsWith("/api/jobs/", StringComparison.Ordinal))
        {
            var rest = path["/api/jobs/".Length..].Split('/');
            if (rest.Length == 1 && rest[0].Length > 0)
            {
                return m switch
                {
                    "GET" => cluster.Jobs.Get(rest[0]),
                    "DELETE" => cluster.Jobs.Delete(rest[0]),
                    _ => RayResponse.MethodNotAllowed("GET", "DELETE"),
                };
            }
            if (rest.Length == 2 && rest[0].Length > 0 && rest[1] == "logs")
            {
                return Only(m, "GET") ?? cluster.Jobs.Logs(rest[0]);
            }
            if (rest.Length == 3 && rest[0].Length > 0 && rest[1] == "logs" && rest[2] == "tail")
            {
                return Only(m, "GET") ?? cluster.Jobs.Tail(rest[0], request.IsWebSocketUpgrade);
            }
            if (rest.Length == 2 && rest[0].Length > 0 && rest[1] == "stop")
            {
                return Only(m, "POST") ?? cluster.Jobs.Stop(rest[0]);
            }
        }
        return RayResponse.NotFound();
    }

    private static RayResponse? Only(string method, string allowed) =>
        method == allowed || (allowed == "GET" && method == "HEAD") ? null : RayResponse.MethodNotAllowed(allowed);

    private RayResponse GcsHealthz()
    {
        if (cluster.GcsUp)
        {
            return RayResponse.Text(200, "success", RayResponse.ApplicationText);
        }
        var head = cluster.Head;
        var reason = $"Health check failed: Failed to connect to GCS at address {head?.Ip ?? "127.0.0.1"}:6379 within 0.1 seconds";
        return RayResponse.AiohttpError(503, reason);
    }

    private static JsonObject Envelope(bool result, string msg, JsonNode? data) => new()
    {
        ["result"] = result,
        ["msg"] = msg,
        ["data"] = data,
    };

    private RayResponse Nodes(RayRequest request)
    {
        var view = request.QueryValue("view");
        if (string.Equals(view, "summary", StringComparison.OrdinalIgnoreCase))
        {
            var used = cluster.Jobs.UsedByNode();
            var nodes = cluster.Nodes;
            foreach (var busy in nodes.Where(n => n.Busy && n.State == RayNodeState.Alive && !used.ContainsKey(n.NodeId)))
            {
                // A node made busy by the ray-busy fault runs one task: 1 CPU (or what it has) in use.
                used[busy.NodeId] = new Dictionary<string, double>(StringComparer.Ordinal) { ["CPU"] = Math.Min(1, busy.Resources.GetValueOrDefault("CPU")) };
            }
            var summary = new JsonArray(nodes.Select(n => (JsonNode?)SummaryEntry(n, used.GetValueOrDefault(n.NodeId))).ToArray());
            var logical = new JsonObject();
            foreach (var n in nodes.Where(n => n.State == RayNodeState.Alive))
            {
                logical[n.NodeId] = string.Join("\n", RayText.UsageLines(n.Resources, used.GetValueOrDefault(n.NodeId) ?? []));
            }
            var data = new JsonObject { ["summary"] = summary, ["node_logical_resources"] = logical };
            // Node ids (the keys of nodeLogicalResources) have no underscores, so they survive the conversion.
            var converted = (JsonObject)RayText.ToGoogleStyle(data)!;
            return RayResponse.Json(200, Envelope(true, "Node summary fetched.", converted));
        }
        if (string.Equals(view, "hostNameList", StringComparison.OrdinalIgnoreCase))
        {
            var hosts = new JsonArray(cluster.Nodes.Where(n => n.State == RayNodeState.Alive).Select(n => (JsonNode?)n.Hostname).ToArray());
            return RayResponse.Json(200, Envelope(true, "Node hostname list fetched.", new JsonObject { ["hostNameList"] = hosts }));
        }
        return RayResponse.Json(500, Envelope(false, $"Unknown view {view ?? "None"}", new JsonObject()));
    }

    private RayResponse NodeDetail(string nodeId)
    {
        var node = cluster.Nodes.FirstOrDefault(n => n.NodeId == nodeId);
        JsonObject detail;
        if (node is null)
        {
            detail = new JsonObject
            {
                ["raylet"] = new JsonObject { ["objectStoreUsedMemory"] = 0, ["objectStoreAvailableMemory"] = 0, ["stateMessage"] = null },
                ["actors"] = new JsonObject(),
                ["workers"] = new JsonArray(),
            };
            return RayResponse.Json(200, Envelope(true, "Node details fetched.", new JsonObject { ["detail"] = detail }));
        }
        var entry = SummaryEntry(node, cluster.Jobs.UsedByNode().GetValueOrDefault(node.NodeId));
        entry["workers"] = new JsonArray();
        entry["actors"] = new JsonObject();
        detail = (JsonObject)RayText.ToGoogleStyle(entry)!;
        return RayResponse.Json(200, Envelope(true, "Node details fetched.", new JsonObject { ["detail"] = detail }));
    }

    /// <summary>One <c>/nodes?view=summary</c> entry in snake_case (the caller camelCases it).</summary>
    private JsonObject SummaryEntry(RayNode n, Dictionary<string, double>? used)
    {
        var raylet = Raylet(n, used);
        if (n.State == RayNodeState.Dead)
        {
            return new JsonObject { ["raylet"] = raylet };
        }
        var nowSeconds = cluster.Now.ToUnixTimeMilliseconds() / 1000.0;
        var mem = n.HostMemory;
        var usedMem = Math.Round(mem * 0.12);
        var cpus = n.HostCpus;
        var entry = new JsonObject
        {
            ["now"] = nowSeconds,
            ["hostname"] = n.Hostname,
            ["ip"] = n.Ip,
            ["cpu"] = 2.5,
            ["cpus"] = new JsonArray(cpus, Math.Max(1, cpus / 2)),
            ["mem"] = new JsonArray((long)mem, (long)(mem - usedMem), 12.0, (long)usedMem),
            ["shm"] = 1048576L,
            ["boot_time"] = n.StartTimeMs / 1000.0 - 3600,
            ["load_avg"] = new JsonArray(new JsonArray(0.41, 0.35, 0.3), new JsonArray(0.05, 0.04, 0.04)),
            ["disk"] = new JsonObject
            {
                ["/"] = new JsonObject { ["total"] = 107374182400L, ["used"] = 42949672960L, ["free"] = 64424509440L, ["percent"] = 40.0 },
            },
            ["disk_io"] = new JsonArray(0L, 0L, 0L, 0L),
            ["disk_io_speed"] = new JsonArray(0.0, 0.0, 0.0, 0.0),
            ["network"] = new JsonArray(0L, 0L),
            ["network_speed"] = new JsonArray(1200.0, 900.0),
            ["gpus"] = new JsonArray(),
            ["tpus"] = new JsonArray(),
            ["cmdline"] = new JsonArray(),
        };
        if (n.IsHead)
        {
            entry["gcs"] = new JsonObject { ["pid"] = 42, ["create_time"] = n.StartTimeMs / 1000.0, ["cmdline"] = new JsonArray("/home/ray/anaconda3/lib/python3.11/site-packages/ray/core/src/ray/gcs/gcs_server") };
        }
        entry["raylet"] = raylet;
        return entry;
    }

    private JsonObject Raylet(RayNode n, Dictionary<string, double>? used)
    {
        var socketDir = $"/tmp/ray/{cluster.SessionName}/sockets";
        var objectStore = n.Resources.GetValueOrDefault("object_store_memory");
        var resources = new JsonObject();
        foreach (var (k, v) in n.Resources)
        {
            resources[k] = v;
        }
        var labels = new JsonObject();
        foreach (var (k, v) in n.Labels)
        {
            labels[k] = v;
        }
        var raylet = new JsonObject
        {
            ["node_id"] = n.NodeId,
            ["node_manager_address"] = n.Ip,
            ["node_manager_hostname"] = n.Hostname,
            ["node_manager_port"] = n.NodeManagerPort,
            ["object_manager_port"] = n.ObjectManagerPort,
            ["metrics_export_port"] = n.MetricsExportPort,
            ["runtime_env_agent_port"] = n.RuntimeEnvAgentPort,
            ["raylet_socket_name"] = socketDir + "/raylet",
            ["object_store_socket_name"] = socketDir + "/plasma_store",
            ["state"] = n.State == RayNodeState.Alive ? "ALIVE" : "DEAD",
            ["is_head_node"] = n.IsHead,
            ["node_name"] = n.Ip,
            ["instance_id"] = "",
            ["node_type_name"] = "",
            ["instance_type_name"] = "",
            ["start_time_ms"] = n.StartTimeMs.ToString(CultureInfo.InvariantCulture),
            ["end_time_ms"] = n.EndTimeMs.ToString(CultureInfo.InvariantCulture),
            ["resources_total"] = resources,
            ["labels"] = labels,
        };
        if (n.State == RayNodeState.Alive)
        {
            var active = used is { Count: > 0 } || n.Busy;
            var idleMs = active ? 0 : Math.Max(0, cluster.NowMs - n.StartTimeMs);
            raylet["state_snapshot"] = new JsonObject
            {
                ["state"] = active ? "ACTIVE" : "IDLE",
                ["idle_duration_ms"] = idleMs.ToString(CultureInfo.InvariantCulture),
                ["node_activity"] = new JsonArray(),
            };
            raylet["store_stats"] = new JsonObject
            {
                ["object_store_bytes_used"] = "0",
                ["object_store_bytes_avail"] = ((long)objectStore).ToString(CultureInfo.InvariantCulture),
            };
            raylet["num_workers"] = active ? 1 : 0;
        }
        else
        {
            raylet["death_info"] = new JsonObject { ["reason"] = n.DeathReason, ["reason_message"] = n.DeathMessage ?? "" };
        }
        raylet["object_store_used_memory"] = 0;
        raylet["object_store_available_memory"] = n.State == RayNodeState.Alive ? (long)objectStore : 0;
        raylet["state_message"] = n.StateMessage;
        return raylet;
    }

    private bool UsesStateApiBadRequest => RayText.CompareVersions(cluster.RayVersion, "2.53.0") >= 0;

    private RayResponse StateError(string message, bool badRequest = true) =>
        RayResponse.Json(badRequest && UsesStateApiBadRequest ? 400 : 500, Envelope(false, message, new JsonObject { ["result"] = null }));

    private static readonly string[] NodeFilterColumns = ["node_id", "state", "node_ip", "is_head_node", "node_name"];

    private RayResponse StateNodes(RayRequest request)
    {
        var limit = 100;
        if (request.QueryValue("limit") is { } limitText)
        {
            if (!int.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out limit))
            {
                return StateError($"invalid literal for int() with base 10: '{limitText}'");
            }
        }
        if (limit > 10000)
        {
            return StateError($"Given limit {limit} exceeds the supported limit 10000. Use a lower limit.");
        }
        if (request.QueryValue("timeout") is { } timeoutText && !int.TryParse(timeoutText, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            return StateError($"invalid literal for int() with base 10: '{timeoutText}'");
        }
        var detailText = request.QueryValue("detail");
        var detail = detailText is not null && (detailText.Equals("true", StringComparison.OrdinalIgnoreCase) || detailText == "1");
        var keys = request.QueryValues("filter_keys");
        var predicates = request.QueryValues("filter_predicates");
        var values = request.QueryValues("filter_values");
        if (keys.Count != predicates.Count || keys.Count != values.Count)
        {
            return StateError($"The number of filter_keys ({keys.Count}), filter_predicates ({predicates.Count}) and filter_values ({values.Count}) must be the same.");
        }
        for (var i = 0; i < keys.Count; i++)
        {
            if (!NodeFilterColumns.Contains(keys[i]))
            {
                return StateError($"Given filter column {keys[i]} is not supported. Supported filter columns: ['{string.Join("', '", NodeFilterColumns)}']");
            }
            if (predicates[i] is not ("=" or "!="))
            {
                return StateError($"Unsupported filter predicate {predicates[i]} is given. Available predicates: =, !=.");
            }
        }
        if (!cluster.GcsUp)
        {
            return StateError("Failed to get the node info from GCS: GCS is unavailable.", badRequest: false);
        }
        var rows = cluster.Nodes.Select(n => (Node: n, Row: StateRow(n, detail))).ToList();
        var total = rows.Count;
        var filtered = rows.Where(r => Matches(r.Node, keys, predicates, values)).ToList();
        var result = new JsonArray(filtered.OrderBy(r => r.Node.NodeId, StringComparer.Ordinal).Take(Math.Max(0, limit)).Select(r => (JsonNode?)r.Row).ToArray());
        var list = new JsonObject
        {
            ["total"] = total,
            ["num_after_truncation"] = total,
            ["num_filtered"] = filtered.Count,
            ["result"] = result,
            ["partial_failure_warning"] = "",
            ["warnings"] = null,
        };
        return RayResponse.Json(200, Envelope(true, "", new JsonObject { ["result"] = list }));
    }

    private static bool Matches(RayNode n, IReadOnlyList<string> keys, IReadOnlyList<string> predicates, IReadOnlyList<string> values)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            bool equal;
            if (keys[i] == "is_head_node")
            {
                var v = values[i].ToLowerInvariant();
                var want = v is "true" or "1";
                equal = n.IsHead == want;
            }
            else
            {
                var actual = keys[i] switch
                {
                    "node_id" => n.NodeId,
                    "state" => n.State == RayNodeState.Alive ? "ALIVE" : "DEAD",
                    "node_ip" => n.Ip,
                    _ => n.Ip,
                };
                equal = string.Equals(actual, values[i], StringComparison.OrdinalIgnoreCase);
            }
            if (equal != (predicates[i] == "="))
            {
                return false;
            }
        }
        return true;
    }

    private static JsonObject StateRow(RayNode n, bool detail)
    {
        var resources = new JsonObject();
        foreach (var (k, v) in n.Resources)
        {
            resources[k] = v;
        }
        var labels = new JsonObject();
        foreach (var (k, v) in n.Labels)
        {
            labels[k] = v;
        }
        var row = new JsonObject
        {
            ["node_id"] = n.NodeId,
            ["node_ip"] = n.Ip,
            ["is_head_node"] = n.IsHead,
            ["state"] = n.State == RayNodeState.Alive ? "ALIVE" : "DEAD",
            ["state_message"] = n.StateMessage,
            ["node_name"] = n.Ip,
            ["resources_total"] = resources,
            ["labels"] = labels,
        };
        if (detail)
        {
            row["start_time_ms"] = n.StartTimeMs;
            row["end_time_ms"] = n.EndTimeMs;
        }
        return row;
    }

    private RayResponse ClusterStatus(RayRequest request)
    {
        var format = request.QueryValue("format");
        var used = cluster.Jobs.UsedByNode();
        var alive = cluster.Nodes.Where(n => n.State == RayNodeState.Alive).ToList();
        var totals = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var usedTotals = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var n in alive)
        {
            foreach (var (k, v) in n.Resources)
            {
                totals[k] = totals.GetValueOrDefault(k) + v;
            }
            foreach (var (k, v) in used.GetValueOrDefault(n.NodeId) ?? [])
            {
                usedTotals[k] = usedTotals.GetValueOrDefault(k) + v;
            }
        }
        var groups = alive.GroupBy(n => n.GroupName.Length > 0 ? n.GroupName : "node_" + n.NodeId).OrderBy(g => g.Any(n => n.IsHead) ? 0 : 1).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        var now = cluster.Now;
        if (format is "1" or "true" or "True")
        {
            var sb = new StringBuilder();
            sb.Append("======== Autoscaler status: ").Append(now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)).Append(" ========\n");
            sb.Append("Node status\n---------------------------------------------------------------\nActive:\n");
            if (groups.Count == 0)
            {
                sb.Append(" (no active nodes)\n");
            }
            foreach (var g in groups)
            {
                sb.Append(' ').Append(g.Count()).Append(' ').Append(g.Key).Append('\n');
            }
            sb.Append("Pending:\n (no pending nodes)\nRecent failures:\n (no failures)\n\n");
            sb.Append("Resources\n---------------------------------------------------------------\nUsage:\n");
            foreach (var line in RayText.UsageLines(totals, usedTotals))
            {
                sb.Append(' ').Append(line).Append('\n');
            }
            sb.Append("\nDemands:\n (no resource demands)");
            return RayResponse.Json(200, Envelope(true, "Got formatted cluster status.", new JsonObject { ["clusterStatus"] = sb.ToString() }));
        }
        var usage = new JsonObject();
        foreach (var (k, v) in totals)
        {
            usage[k] = new JsonArray(usedTotals.GetValueOrDefault(k), v);
        }
        var nodeTypes = new JsonArray();
        foreach (var g in groups)
        {
            var res = new JsonObject();
            foreach (var (k, v) in g.First().Resources.Where(kv => !kv.Key.StartsWith("node:", StringComparison.Ordinal)))
            {
                res[k] = v;
            }
            nodeTypes.Add(new JsonArray(res, g.Count()));
        }
        var activeNodes = new JsonObject();
        foreach (var g in groups)
        {
            activeNodes[g.Key] = g.Count();
        }
        var status = new JsonObject
        {
            ["load_metrics_report"] = new JsonObject
            {
                ["usage"] = usage,
                ["resource_demand"] = new JsonArray(),
                ["pg_demand"] = new JsonArray(),
                ["request_demand"] = new JsonArray(),
                ["node_types"] = nodeTypes,
                ["head_ip"] = cluster.Head?.Ip,
            },
            ["time"] = now.ToUnixTimeMilliseconds() / 1000.0,
            ["monitor_pid"] = 245,
            ["autoscaler_report"] = new JsonObject
            {
                ["active_nodes"] = activeNodes,
                ["idle_nodes"] = new JsonObject(),
                ["pending_nodes"] = new JsonArray(),
                ["pending_launches"] = new JsonObject(),
                ["failed_nodes"] = new JsonArray(),
            },
            ["gcs_request_time"] = 0.0012,
        };
        var data = new JsonObject
        {
            ["autoscaling_status"] = null,
            ["autoscaling_error"] = null,
            ["cluster_status"] = status,
        };
        return RayResponse.Json(200, Envelope(true, "Got cluster status.", RayText.ToGoogleStyle(data)));
    }

    private RayResponse ComponentActivities()
    {
        var running = cluster.Jobs.UsedByNode().Count > 0;
        return RayResponse.Json(200, new JsonObject
        {
            ["driver"] = new JsonObject
            {
                ["is_active"] = running ? "ACTIVE" : "INACTIVE",
                ["reason"] = running ? "Number of active drivers: 1" : null,
                ["timestamp"] = cluster.NowMs / 1000.0,
                ["last_activity_at"] = null,
            },
        });
    }

    private static RayResponse Blob(RayRequest request)
    {
        var text = request.QueryValue("bytes") ?? "0";
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var length) || length < 0 || length > MaxBlobBytes)
        {
            return RayResponse.Text(400, $"400: bytes must be an integer between 0 and {MaxBlobBytes}", RayResponse.TextPlain, "Bad Request");
        }
        return new RayResponse
        {
            Status = 200,
            ContentType = "application/octet-stream",
            StreamLength = length,
            StreamBody = async (stream, ct) =>
            {
                var chunk = new byte[64 * 1024];
                for (var i = 0; i < chunk.Length; i++)
                {
                    chunk[i] = (byte)('a' + i % 26);
                }
                var left = length;
                while (left > 0)
                {
                    var n = (int)Math.Min(left, chunk.Length);
                    await stream.WriteAsync(chunk.AsMemory(0, n), ct).ConfigureAwait(false);
                    left -= n;
                }
            },
        };
    }

    internal RayRegistry Registry => registry;
}

/// <summary>The dashboard agent (port 52365) of one Ray node.</summary>
internal sealed class RayAgent(RayClusterState cluster, RayNode node) : IRayEndpoint
{
    /// <summary>Answers after the node's injected latency (<c>sandbox.rayps.io/probe-latency-ms</c>).</summary>
    public async Task<RayResponse> HandleAsync(RayRequest request, CancellationToken cancellationToken)
    {
        if (node.ProbeLatencyMs > 0)
        {
            await Task.Delay(node.ProbeLatencyMs, cancellationToken).ConfigureAwait(false);
        }
        return Respond(request);
    }

    public RayNode Node => node;

    /// <summary>The answer without the latency (probes account for it against their timeout).</summary>
    internal RayResponse Respond(RayRequest request)
    {
        switch (request.Path)
        {
            case "/api/local_raylet_healthz":
                if (request.Method is not ("GET" or "HEAD"))
                {
                    return RayResponse.MethodNotAllowed("GET");
                }
                return RayletHealthy(out _)
                    ? RayResponse.Text(200, "success", RayResponse.ApplicationText)
                    : RayResponse.AiohttpError(503, "Local Raylet failed");
            case "/api/healthz" when RayText.CompareVersions(node.RayVersion, "2.53.0") >= 0:
                if (request.Method is not ("GET" or "HEAD"))
                {
                    return RayResponse.MethodNotAllowed("GET");
                }
                var rayletOk = RayletHealthy(out var rayletText);
                string gcsText;
                var gcsOk = true;
                if (node.IsHead)
                {
                    gcsOk = cluster.GcsUp;
                    gcsText = gcsOk ? "success" : "GCS is unreachable";
                }
                else
                {
                    gcsText = "success (no local gcs)";
                }
                return RayResponse.Text(rayletOk && gcsOk ? 200 : 503, $"raylet: {rayletText}\ngcs: {gcsText}");
            default:
                return RayResponse.NotFound();
        }
    }

    /// <summary>The local raylet check: GCS being unreachable counts as healthy (the raylet exits on its own if it stays down).</summary>
    private bool RayletHealthy(out string text)
    {
        if (!cluster.GcsUp)
        {
            text = "success";
            return true;
        }
        if (node.State == RayNodeState.Dead || !node.RayletHealthy)
        {
            text = "Local Raylet failed";
            return false;
        }
        text = "success";
        return true;
    }
}

/// <summary>The metrics exporter (port 8080) of one Ray node: a few Prometheus gauges.</summary>
internal sealed class RayMetrics(RayClusterState cluster, RayNode node) : IRayEndpoint
{
    public Task<RayResponse> HandleAsync(RayRequest request, CancellationToken cancellationToken) => Task.FromResult(Respond(request));

    internal RayResponse Respond(RayRequest request)
    {
        if (request.Path is not ("/" or "/metrics"))
        {
            return RayResponse.NotFound();
        }
        var labels = $"Component=\"reporter_agent\",NodeAddress=\"{node.Ip}\",SessionName=\"{cluster.SessionName}\",Version=\"{node.RayVersion}\",ip=\"{node.Ip}\"";
        var sb = new StringBuilder();
        void Gauge(string name, string help, double value)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(" gauge\n");
            sb.Append(name).Append('{').Append(labels).Append("} ").Append(PyJson.FormatFloat(value)).Append('\n');
        }
        Gauge("ray_node_cpu_count", "Total CPUs available on a ray node", node.Resources.GetValueOrDefault("CPU"));
        Gauge("ray_node_gpus_available", "Total GPUs available on a ray node", node.Resources.GetValueOrDefault("GPU"));
        Gauge("ray_node_mem_total", "Total memory on a ray node", node.HostMemory);
        Gauge("ray_node_mem_used", "Memory usage on a ray node", Math.Round(node.HostMemory * 0.12));
        return RayResponse.Text(200, sb.ToString(), "text/plain; version=0.0.4; charset=utf-8");
    }
}

/// <summary>What a probe from inside a pod gets from one of its own ports.</summary>
internal sealed record LocalAnswer(RayResponse Response, int LatencyMs);

/// <summary>Synchronous access to a pod's simulated endpoints for the kubelet's probes.</summary>
internal static class RayProbes
{
    /// <summary>The answer of <c>GET path</c> on the pod's port; null when nothing listens there.</summary>
    public static LocalAnswer? Ask(RayRegistry registry, string @namespace, string pod, int port, string path)
    {
        var request = new RayRequest("GET", path.StartsWith('/') ? path : "/" + path);
        return registry.Endpoint(@namespace, pod, port) switch
        {
            RayAgent agent => new LocalAnswer(agent.Respond(request), agent.Node.ProbeLatencyMs),
            RayDashboard dashboard => new LocalAnswer(dashboard.Respond(request), 0),
            RayMetrics metrics => new LocalAnswer(metrics.Respond(request), 0),
            _ => null,
        };
    }
}
