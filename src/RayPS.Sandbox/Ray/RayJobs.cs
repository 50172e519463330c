using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Sandbox.Cluster;

namespace RayPS.Sandbox.Ray;

/// <summary>A submitted Ray job (JobInfo/JobDetails).</summary>
internal sealed class RayJob
{
    public required string SubmissionId { get; init; }
    public required string Entrypoint { get; init; }
    public JsonObject? Metadata { get; init; }
    public JsonObject? RuntimeEnv { get; init; }
    public required Dictionary<string, double> Demand { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
    public string Status { get; set; } = "PENDING";
    public string? JobId { get; set; }
    public string? Message { get; set; } = "Job has not started yet.";
    public string? ErrorType { get; set; }
    public DateTimeOffset? RunningAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public DateTimeOffset? LastUnfitAt { get; set; }
    public RayNode? DriverNode { get; set; }
    public string DriverPid { get; set; } = "";
    public int? ExitCode { get; set; }
    public StringBuilder Logs { get; } = new();

    /// <summary>What the entrypoint does (read when the driver starts); its lines reach <see cref="Logs"/> as their time comes.</summary>
    public RayJobProgram? Program { get; set; }
    public int OutputsWritten { get; set; }

    /// <summary>The runtime_env's working_dir when it names a gcs:// package.</summary>
    public string? WorkingDirUri => RuntimeEnv?["working_dir"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var uri) ? uri : null;

    public bool IsTerminal => Status is "STOPPED" or "SUCCEEDED" or "FAILED";
}

/// <summary>
/// The Jobs REST API's state machine (job_manager.py) for one cluster: PENDING until the start delay
/// passed and a node has the entrypoint resources, RUNNING for the simulated duration, then
/// SUCCEEDED or FAILED. State advances lazily whenever the table is read.
/// </summary>
internal sealed partial class RayJobManager
{
    private const string Alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ123456789";
    private static readonly HashSet<string> Fields = new(StringComparer.Ordinal)
    {
        "entrypoint", "submission_id", "job_id", "runtime_env", "metadata", "entrypoint_num_cpus", "entrypoint_num_gpus", "entrypoint_memory",
        "entrypoint_resources",
    };

    private readonly RayClusterState _cluster;
    private readonly TimeProvider _time;
    private readonly ClusterSimulationOptions _options;
    private readonly List<RayJob> _jobs = [];
    private readonly Dictionary<string, byte[]> _packages = new(StringComparer.Ordinal);
    private int _nextJobNumber = 1;

    public RayJobManager(RayClusterState cluster, TimeProvider time, ClusterSimulationOptions options)
    {
        _cluster = cluster;
        _time = time;
        _options = options;
    }

    public void Clear()
    {
        _jobs.Clear();
        _packages.Clear();
        _nextJobNumber = 1;
    }

    private const string JobModule = "/home/ray/anaconda3/lib/python3.11/site-packages/ray/dashboard/modules/job";

    private static string Traceback(params string[] frames) => "Traceback (most recent call last):\n" + string.Join("\n", frames) + "\n";

    private static string ValidationError(string error) => Traceback(
        $"  File \"{JobModule}/utils.py\", line 196, in parse_and_validate_request\n    return request_type(**json_data)",
        $"  File \"<string>\", line 12, in __init__",
        $"  File \"{JobModule}/common.py\", line 485, in __post_init__\n    raise TypeError(") + error;

    private static string PyType(JsonNode? node) => node switch
    {
        null => "<class 'NoneType'>",
        JsonObject => "<class 'dict'>",
        JsonArray => "<class 'list'>",
        JsonValue v when v.TryGetValue<string>(out _) => "<class 'str'>",
        JsonValue v when v.TryGetValue<bool>(out _) => "<class 'bool'>",
        JsonValue v when v.TryGetValue<long>(out _) || v.TryGetValue<int>(out _) => "<class 'int'>",
        _ => "<class 'float'>",
    };

    private static bool IsNumber(JsonNode? node) => node is JsonValue v && v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False;

    private static bool IsInteger(JsonNode? node) =>
        node is JsonValue v && (v.GetValueKind() is JsonValueKind.True or JsonValueKind.False || (v.GetValueKind() == JsonValueKind.Number && !v.ToJsonString().Contains('.', StringComparison.Ordinal)
            && !v.ToJsonString().Contains('e', StringComparison.OrdinalIgnoreCase)));

    /// <summary>POST /api/jobs/.</summary>
    public RayResponse Submit(byte[] body)
    {
        JsonObject data;
        try
        {
            var parsed = JsonNode.Parse(body.Length == 0 ? "null"u8 : body);
            if (parsed is not JsonObject obj)
            {
                return RayResponse.Text(400, ValidationError($"TypeError: JobSubmitRequest() argument after ** must be a mapping, not {PyType(parsed)[8..^2]}"));
            }
            data = obj;
        }
        catch (JsonException)
        {
            return RayResponse.Text(500, "500 Internal Server Error\n\nServer got itself in trouble", RayResponse.TextPlain, "Internal Server Error");
        }
        // strip_keys_with_value_none
        foreach (var key in data.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList())
        {
            data.Remove(key);
        }
        if (data.Select(kv => kv.Key).FirstOrDefault(k => !Fields.Contains(k)) is { } unknown)
        {
            return RayResponse.Text(400, ValidationError($"TypeError: JobSubmitRequest.__init__() got an unexpected keyword argument '{unknown}'"));
        }
        if (!data.ContainsKey("entrypoint"))
        {
            return RayResponse.Text(400, ValidationError("TypeError: JobSubmitRequest.__init__() missing 1 required positional argument: 'entrypoint'"));
        }
        string? error = null;
        if (data["entrypoint"] is not JsonValue ev || !ev.TryGetValue<string>(out _))
        {
            error = $"TypeError: entrypoint must be a string, got {PyType(data["entrypoint"])}";
        }
        else if (data["submission_id"] is { } sid && PyType(sid) != "<class 'str'>")
        {
            error = $"TypeError: submission_id must be a string if provided, got {PyType(sid)}";
        }
        else if (data["job_id"] is { } jid && PyType(jid) != "<class 'str'>")
        {
            error = $"TypeError: job_id must be a string if provided, got {PyType(jid)}";
        }
        else if (data["runtime_env"] is { } re && re is not JsonObject)
        {
            error = $"TypeError: runtime_env must be a dict, got {PyType(re)}";
        }
        else if (data["runtime_env"] is JsonObject { } reEnv && reEnv["env_vars"] is { } envVars && envVars is not JsonObject)
        {
            error = $"TypeError: runtime_env['env_vars'] must be of type Dict[str, str], got {PyType(envVars)}";
        }
        else if (data["runtime_env"] is JsonObject { } reEnv2 && reEnv2["env_vars"] is JsonObject envMap
            && envMap.FirstOrDefault(kv => PyType(kv.Value) != "<class 'str'>") is { Key: not null } badVar)
        {
            error = $"TypeError: runtime_env['env_vars'] must be of type Dict[str, str], but the value corresponding to key {badVar.Key} is of type {PyType(badVar.Value)}";
        }
        else if (data["metadata"] is { } md && md is not JsonObject)
        {
            error = $"TypeError: metadata must be a dict, got {PyType(md)}";
        }
        else if (data["metadata"] is JsonObject mdo && mdo.FirstOrDefault(kv => PyType(kv.Value) != "<class 'str'>") is { Key: not null } badMeta)
        {
            error = $"TypeError: metadata values must be strings, got {PyType(badMeta.Value)}";
        }
        else if (data["entrypoint_num_cpus"] is { } cpus && !IsNumber(cpus))
        {
            error = $"TypeError: entrypoint_num_cpus must be a number, got {PyType(cpus)}";
        }
        else if (data["entrypoint_num_gpus"] is { } gpus && !IsNumber(gpus))
        {
            error = $"TypeError: entrypoint_num_gpus must be a number, got {PyType(gpus)}";
        }
        else if (data["entrypoint_memory"] is { } mem && !IsInteger(mem))
        {
            error = $"TypeError: entrypoint_memory must be an integer, got {PyType(mem)}";
        }
        else if (data["entrypoint_resources"] is { } res && res is not JsonObject)
        {
            error = $"TypeError: entrypoint_resources must be a dict, got {PyType(res)}";
        }
        else if (data["entrypoint_resources"] is JsonObject reso && reso.FirstOrDefault(kv => !IsNumber(kv.Value)) is { Key: not null } badRes)
        {
            error = $"TypeError: entrypoint_resources values must be numbers, got {PyType(badRes.Value)}";
        }
        if (error is not null)
        {
            return RayResponse.Text(400, ValidationError(error));
        }

        var submissionId = JsonValueString(data["submission_id"]) ?? JsonValueString(data["job_id"]) ?? NewSubmissionId();
        var demand = new Dictionary<string, double>(StringComparer.Ordinal);
        if (Number(data["entrypoint_num_cpus"]) is { } c and > 0) demand["CPU"] = c;
        if (Number(data["entrypoint_num_gpus"]) is { } g and > 0) demand["GPU"] = g;
        if (Number(data["entrypoint_memory"]) is { } m and > 0) demand["memory"] = m;
        if (data["entrypoint_resources"] is JsonObject custom)
        {
            foreach (var (k, v) in custom)
            {
                if (Number(v) is { } n and > 0) demand[k] = n;
            }
        }
        lock (_cluster.Gate)
        {
            if (_jobs.Any(j => j.SubmissionId == submissionId))
            {
                var agentError = Traceback(
                    $"  File \"{JobModule}/job_agent.py\", line 45, in submit_job\n    submission_id = await self.get_job_manager().submit_job(",
                    $"  File \"{JobModule}/job_manager.py\", line 945, in submit_job\n    raise ValueError(")
                    + $"ValueError: Job with submission_id {submissionId} already exists. Please use a different submission_id.\n";
                var text = Traceback(
                    $"  File \"{JobModule}/job_head.py\", line 339, in submit_job\n    resp = await job_agent_client.submit_job_internal(submit_request)",
                    $"  File \"{JobModule}/job_head.py\", line 116, in submit_job_internal\n    await self._raise_error(resp)",
                    $"  File \"{JobModule}/job_head.py\", line 97, in _raise_error\n    raise RuntimeError(f\"Request failed with status code {{status}}: {{error_text}}.\")")
                    + $"RuntimeError: Request failed with status code 400: {agentError}.";
                return RayResponse.Text(500, text);
            }
            if (_cluster.Head is null)
            {
                return RayResponse.Text(500, "No available agent to submit job, please try again later.");
            }
            _jobs.Add(new RayJob
            {
                SubmissionId = submissionId,
                Entrypoint = JsonValueString(data["entrypoint"])!,
                Metadata = data["metadata"]?.DeepClone() as JsonObject,
                RuntimeEnv = data["runtime_env"]?.DeepClone() as JsonObject,
                Demand = demand,
                SubmittedAt = _time.GetUtcNow(),
                DriverNode = _cluster.Head,
            });
        }
        return RayResponse.Json(200, new JsonObject { ["job_id"] = submissionId, ["submission_id"] = submissionId });
    }

    private static string? JsonValueString(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static double? Number(JsonNode? node) => RayPS.Sandbox.Json.JsonNodes.TryGetDouble(node, out var d) ? d : null;

    private static string NewSubmissionId()
    {
        var chars = new char[16];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return "raysubmit_" + new string(chars);
    }

    /// <summary>GET /api/packages/{protocol}/{name}: 200 with an empty body when stored, else 404.</summary>
    public RayResponse GetPackage(string protocol, string name)
    {
        var uri = protocol + "://" + name;
        lock (_cluster.Gate)
        {
            return _packages.ContainsKey(uri)
                ? RayResponse.Text(200, "", "application/octet-stream")
                : RayResponse.Text(404, $"Package {uri} does not exist", RayResponse.TextPlain, "Not Found");
        }
    }

    /// <summary>PUT /api/packages/{protocol}/{name}: stores the bytes in the GCS (internal KV); 500 traceback over the size limit.</summary>
    public RayResponse PutPackage(string protocol, string name, byte[] body)
    {
        var uri = protocol + "://" + name;
        if (protocol != "gcs")
        {
            return RayResponse.Text(500, Traceback(
                $"  File \"{JobModule}/job_head.py\", line 270, in upload_package\n    await get_or_create_event_loop().run_in_executor(",
                "  File \"/home/ray/anaconda3/lib/python3.11/site-packages/ray/_private/runtime_env/packaging.py\", line 513, in upload_package_to_gcs\n    raise RuntimeError(")
                + "RuntimeError: push_package should not be called with remote path.\n");
        }
        var max = _options.PackageMaxBytes;
        if (body.LongLength >= max)
        {
            return RayResponse.Text(500, Traceback(
                $"  File \"{JobModule}/job_head.py\", line 270, in upload_package\n    await get_or_create_event_loop().run_in_executor(",
                "  File \"/home/ray/anaconda3/lib/python3.11/site-packages/ray/_private/runtime_env/packaging.py\", line 508, in upload_package_to_gcs\n    _store_package_in_gcs(pkg_uri, pkg_bytes)",
                "  File \"/home/ray/anaconda3/lib/python3.11/site-packages/ray/_private/runtime_env/packaging.py\", line 388, in _store_package_in_gcs\n    raise ValueError(")
                + $"ValueError: Package size ({Mib(body.LongLength)}) exceeds the maximum size of {Mib(max)}. You can exclude large files using the 'excludes' option to the runtime_env "
                + "or provide a remote URI of a zip file using protocols such as 's3://', 'https://' and so on, refer to "
                + "https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#api-reference.\n");
        }
        lock (_cluster.Gate)
        {
            _packages[uri] = body;
        }
        return RayResponse.Text(200, "", "application/octet-stream");
    }

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.00", CultureInfo.InvariantCulture) + "MiB";

    /// <summary>How many packages the GCS holds (for tests).</summary>
    public int PackageCount
    {
        get
        {
            lock (_cluster.Gate)
            {
                return _packages.Count;
            }
        }
    }

    /// <summary>GET /api/jobs/.</summary>
    public RayResponse List()
    {
        lock (_cluster.Gate)
        {
            Refresh();
            return JsonText(new JsonArray(_jobs.Select(j => (JsonNode?)Details(j)).ToArray()));
        }
    }

    private static RayResponse JsonText(JsonNode node) => RayResponse.Json(200, node);

    private RayJob? Find(string id) => _jobs.FirstOrDefault(j => j.JobId == id) ?? _jobs.FirstOrDefault(j => j.SubmissionId == id);

    private static RayResponse Missing(string id) => RayResponse.Text(404, $"Job {id} does not exist");

    /// <summary>GET /api/jobs/{id}.</summary>
    public RayResponse Get(string id)
    {
        lock (_cluster.Gate)
        {
            Refresh();
            return Find(id) is { } job ? JsonText(Details(job)) : Missing(id);
        }
    }

    /// <summary>GET /api/jobs/{id}/logs.</summary>
    public RayResponse Logs(string id)
    {
        lock (_cluster.Gate)
        {
            Refresh();
            if (Find(id) is not { } job)
            {
                return Missing(id);
            }
            if (job.DriverNode is { State: RayNodeState.Dead } && job.Logs.Length > 0)
            {
                return RayResponse.Text(500, Traceback(
                    $"  File \"{JobModule}/job_head.py\", line 500, in get_job_logs\n    resp = await job_agent_client.get_job_logs_internal(job.submission_id)")
                    + $"aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host {job.DriverNode.Ip}:{job.DriverNode.AgentPort} ssl:default [Connect call failed ('{job.DriverNode.Ip}', {job.DriverNode.AgentPort})]\n");
            }
            return JsonText(new JsonObject { ["logs"] = job.Logs.ToString() });
        }
    }

    /// <summary>
    /// GET /api/jobs/{id}/logs/tail: a WebSocket of text frames with new log text until the job ends,
    /// then a normal close. Unknown jobs and plain GETs are answered before the upgrade.
    /// </summary>
    public RayResponse Tail(string id, bool upgrade)
    {
        RayJob? job;
        lock (_cluster.Gate)
        {
            Refresh();
            job = Find(id);
        }
        if (job is null)
        {
            return Missing(id);
        }
        if (!upgrade)
        {
            return RayResponse.Text(400, "400: No WebSocket UPGRADE hdr: None\n Can \"Upgrade\" only to \"WebSocket\".", RayResponse.TextPlain, "Bad Request");
        }
        return new RayResponse
        {
            Status = 101,
            WebSocket = async (socket, ct) =>
            {
                var sent = 0;
                while (!ct.IsCancellationRequested)
                {
                    string chunk;
                    bool terminal;
                    lock (_cluster.Gate)
                    {
                        Refresh();
                        var text = job.Logs.ToString();
                        chunk = text[sent..];
                        sent = text.Length;
                        terminal = job.IsTerminal;
                    }
                    if (chunk.Length > 0)
                    {
                        await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(chunk), System.Net.WebSockets.WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
                    }
                    if (terminal)
                    {
                        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", ct).ConfigureAwait(false);
                        return;
                    }
                    await Task.Delay(TailPollInterval, ct).ConfigureAwait(false);
                }
            },
        };
    }

    private static readonly TimeSpan TailPollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>POST /api/jobs/{id}/stop.</summary>
    public RayResponse Stop(string id)
    {
        lock (_cluster.Gate)
        {
            Refresh();
            if (Find(id) is not { } job)
            {
                return Missing(id);
            }
            if (job.IsTerminal)
            {
                return JsonText(new JsonObject { ["stopped"] = false });
            }
            job.Status = "STOPPED";
            job.Message = "Job was intentionally stopped.";
            job.EndedAt = _time.GetUtcNow();
            return JsonText(new JsonObject { ["stopped"] = true });
        }
    }

    /// <summary>DELETE /api/jobs/{id}.</summary>
    public RayResponse Delete(string id)
    {
        lock (_cluster.Gate)
        {
            Refresh();
            if (Find(id) is not { } job)
            {
                return Missing(id);
            }
            if (!job.IsTerminal)
            {
                return RayResponse.Text(500, Traceback(
                    $"  File \"{JobModule}/job_head.py\", line 540, in delete_job\n    deleted = await self._job_info_client.delete_info(job.submission_id)",
                    $"  File \"{JobModule}/job_manager.py\", line 1001, in delete_job\n    raise RuntimeError(")
                    + $"RuntimeError: Attempted to delete job '{job.SubmissionId}', but it is in a non-terminal state {job.Status}.\n");
            }
            _jobs.Remove(job);
            return JsonText(new JsonObject { ["deleted"] = true });
        }
    }

    /// <summary>Resources held by running jobs' entrypoints, per node id.</summary>
    public Dictionary<string, Dictionary<string, double>> UsedByNode()
    {
        lock (_cluster.Gate)
        {
            Refresh();
            var used = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
            foreach (var job in _jobs.Where(j => j.Status == "RUNNING" && j.DriverNode is not null))
            {
                var map = used.TryGetValue(job.DriverNode!.NodeId, out var m) ? m : used[job.DriverNode.NodeId] = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var (k, v) in job.Demand)
                {
                    map[k] = map.GetValueOrDefault(k) + v;
                }
            }
            return used;
        }
    }

    /// <summary>Moves every job forward to now.</summary>
    private void Refresh()
    {
        var now = _time.GetUtcNow();
        foreach (var job in _jobs)
        {
            Advance(job, now);
        }
    }

    private void Advance(RayJob job, DateTimeOffset now)
    {
        if (job.Status == "PENDING")
        {
            var startAt = job.SubmittedAt + _options.JobStartDelay;
            if (now < startAt)
            {
                return;
            }
            var node = FitNode(job);
            if (node is null)
            {
                job.LastUnfitAt = now;
                if (now - job.SubmittedAt >= _options.Seconds(900))
                {
                    job.Status = "FAILED";
                    job.EndedAt = now;
                    job.ErrorType = "JOB_SUPERVISOR_ACTOR_START_TIMEOUT";
                    job.Message = "Job supervisor actor failed to start within 900.0 seconds. This timeout can be configured by setting the environment "
                        + "variable RAY_JOB_START_TIMEOUT_SECONDS.";
                }
                return;
            }
            var runningAt = job.LastUnfitAt is { } unfit && unfit > startAt ? unfit : startAt;
            job.Program = RayJobProgram.Parse(job.Entrypoint, script => RayJobProgram.ReadFromPackage(
                job.WorkingDirUri is { } uri ? _packages.GetValueOrDefault(uri) : null, script));
            if (job.WorkingDirUri is { } missing && missing.StartsWith("gcs://", StringComparison.Ordinal) && !_packages.ContainsKey(missing))
            {
                // The runtime env agent cannot fetch a package that was never uploaded: the job fails before its driver runs.
                job.Status = "FAILED";
                job.EndedAt = runningAt;
                job.ErrorType = "RUNTIME_ENV_SETUP_FAILURE";
                job.Message = $"runtime_env setup failed: Failed to set up runtime environment.\nFailed to download runtime_env file package {missing} from the GCS: "
                    + $"Failed to fetch URI {missing} from GCS.";
                job.DriverNode = null;
                return;
            }
            job.Status = "RUNNING";
            job.RunningAt = runningAt;
            job.DriverNode = node;
            job.JobId = JobIdHex(_nextJobNumber++);
            job.DriverPid = RandomNumberGenerator.GetInt32(1000, 30000).ToString(CultureInfo.InvariantCulture);
            job.Message = "Job is currently running.";
            if (job.Entrypoint.Contains("python", StringComparison.Ordinal))
            {
                job.Logs.Append(LogLine(runningAt, $"INFO worker.py:1654 -- Connecting to existing Ray cluster at address: {_cluster.Head?.Ip ?? node.Ip}:6379..."));
                job.Logs.Append(LogLine(runningAt, $"INFO worker.py:1832 -- Connected to Ray cluster. View the dashboard at {_cluster.Head?.Ip ?? node.Ip}:8265 "));
            }
            WriteOutputs(job, runningAt, now);
        }
        if (job.Status == "RUNNING")
        {
            if (job.DriverNode is { State: RayNodeState.Dead } dead)
            {
                job.Status = "FAILED";
                job.EndedAt = DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(dead.EndTimeMs, job.RunningAt!.Value.ToUnixTimeMilliseconds()));
                job.ErrorType = "JOB_SUPERVISOR_ACTOR_DIED";
                job.Message = "Job supervisor actor died: The actor died unexpectedly before finishing this task.";
                return;
            }
            var endAt = job.RunningAt!.Value + (job.Program?.Seconds is { } seconds ? _options.Seconds(seconds) : _options.JobRunTime);
            if (now < endAt)
            {
                WriteOutputs(job, job.RunningAt.Value, now);
                return;
            }
            WriteOutputs(job, job.RunningAt.Value, DateTimeOffset.MaxValue);
            job.EndedAt = endAt;
            var exit = job.Program?.ExitCode ?? 0;
            job.ExitCode = exit;
            if (exit == 0)
            {
                job.Status = "SUCCEEDED";
                job.Message = "Job finished successfully.";
            }
            else
            {
                if (job.Program?.Raises == true)
                {
                    job.Logs.Append("Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nRuntimeError: simulated failure\n");
                }
                job.Status = "FAILED";
                job.ErrorType = "JOB_ENTRYPOINT_COMMAND_ERROR";
                job.Message = $"Job entrypoint command failed with exit code {exit}, last available logs (truncated to 20,000 chars):\n{Tail(job.Logs.ToString(), 20000)}";
            }
        }
    }

    private static string Tail(string s, int max) => s.Length <= max ? s : s[^max..];

    /// <summary>Appends the program's lines whose time has come by <paramref name="now"/>.</summary>
    private void WriteOutputs(RayJob job, DateTimeOffset runningAt, DateTimeOffset now)
    {
        if (job.Program is not { } program)
        {
            return;
        }
        while (job.OutputsWritten < program.Outputs.Count)
        {
            var output = program.Outputs[job.OutputsWritten];
            if (now != DateTimeOffset.MaxValue && runningAt + _options.Seconds(output.AtSeconds) > now)
            {
                return;
            }
            job.Logs.Append(output.Text).Append('\n');
            job.OutputsWritten++;
        }
    }

    private static string LogLine(DateTimeOffset at, string text) =>
        at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture) + "\t" + text + "\n";

    /// <summary>The node that can host the job's entrypoint (head first), or null while none has the resources.</summary>
    private RayNode? FitNode(RayJob job)
    {
        var alive = _cluster.Nodes.Where(n => n.State == RayNodeState.Alive).OrderByDescending(n => n.IsHead).ToList();
        if (job.Demand.Count == 0)
        {
            return alive.FirstOrDefault(n => n.IsHead) ?? alive.FirstOrDefault();
        }
        foreach (var node in alive)
        {
            var used = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var other in _jobs.Where(j => j.Status == "RUNNING" && ReferenceEquals(j.DriverNode, node)))
            {
                foreach (var (k, v) in other.Demand)
                {
                    used[k] = used.GetValueOrDefault(k) + v;
                }
            }
            if (job.Demand.All(d => node.Resources.GetValueOrDefault(d.Key) - used.GetValueOrDefault(d.Key) >= d.Value))
            {
                return node;
            }
        }
        return null;
    }

    /// <summary>A Ray JobID: the job number as 4 little-endian bytes in hex.</summary>
    public static string JobIdHex(int number) => Convert.ToHexString(BitConverter.GetBytes(number)).ToLowerInvariant();

    private static long? Ms(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();

    private static JsonObject Details(RayJob job)
    {
        var running = job.JobId is not null;
        return new JsonObject
        {
            ["type"] = "SUBMISSION",
            ["job_id"] = job.JobId,
            ["submission_id"] = job.SubmissionId,
            ["driver_info"] = running
                ? new JsonObject { ["id"] = job.JobId, ["node_ip_address"] = job.DriverNode?.Ip, ["pid"] = job.DriverPid }
                : null,
            ["status"] = job.Status,
            ["entrypoint"] = job.Entrypoint,
            ["message"] = job.Message,
            ["error_type"] = job.ErrorType,
            ["start_time"] = Ms(job.SubmittedAt),
            ["end_time"] = Ms(job.EndedAt),
            ["metadata"] = job.Metadata?.DeepClone() ?? new JsonObject(),
            ["runtime_env"] = job.RuntimeEnv?.DeepClone() ?? new JsonObject(),
            ["driver_agent_http_address"] = job.DriverNode is { } n ? $"http://{n.Ip}:{n.AgentPort}" : null,
            ["driver_node_id"] = job.DriverNode?.NodeId,
            ["driver_exit_code"] = job.ExitCode,
        };
    }
}
