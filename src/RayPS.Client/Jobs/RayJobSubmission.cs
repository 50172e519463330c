using System.Text.Json.Nodes;

namespace RayPS.Jobs;

/// <summary>What Start-RayJob submits: Ray's JobSubmitRequest, plus a local folder to upload as the working_dir.</summary>
public sealed class RayJobSubmission
{
    public string Entrypoint { get; init; } = "";
    public string? SubmissionId { get; init; }
    /// <summary>runtime_env as given (pip, env_vars, ...); working_dir is set from <see cref="WorkingDirectory"/>.</summary>
    public JsonObject? RuntimeEnv { get; init; }
    public IReadOnlyList<string> PipPackages { get; init; } = [];
    public IReadOnlyDictionary<string, string> EnvironmentVariables { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    public double? EntrypointNumCpus { get; init; }
    public double? EntrypointNumGpus { get; init; }
    public long? EntrypointMemory { get; init; }
    public IReadOnlyDictionary<string, double> EntrypointResources { get; init; } = new Dictionary<string, double>();
    public string? WorkingDirectory { get; init; }
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>The runtime_env to send, given the working_dir URI (null: none).</summary>
    public JsonObject? BuildRuntimeEnv(string? workingDirUri)
    {
        var env = RuntimeEnv?.DeepClone() as JsonObject ?? new JsonObject();
        if (PipPackages.Count > 0)
        {
            var pip = env["pip"] as JsonArray ?? new JsonArray();
            foreach (var package in PipPackages)
            {
                pip.Add(package);
            }
            env["pip"] = pip;
        }
        if (EnvironmentVariables.Count > 0)
        {
            var vars = env["env_vars"] as JsonObject ?? new JsonObject();
            foreach (var (key, value) in EnvironmentVariables)
            {
                vars[key] = value;
            }
            env["env_vars"] = vars;
        }
        if (workingDirUri is not null)
        {
            env["working_dir"] = workingDirUri;
        }
        return env.Count == 0 ? null : env;
    }

    /// <summary>The JSON body of POST /api/jobs/; unset fields are left out.</summary>
    public JsonObject Body(string? workingDirUri)
    {
        var body = new JsonObject { ["entrypoint"] = Entrypoint };
        if (SubmissionId is not null) body["submission_id"] = SubmissionId;
        if (BuildRuntimeEnv(workingDirUri) is { } env) body["runtime_env"] = env;
        if (Metadata.Count > 0) body["metadata"] = new JsonObject(Metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        if (EntrypointNumCpus is { } cpus) body["entrypoint_num_cpus"] = cpus;
        if (EntrypointNumGpus is { } gpus) body["entrypoint_num_gpus"] = gpus;
        if (EntrypointMemory is { } memory) body["entrypoint_memory"] = memory;
        if (EntrypointResources.Count > 0) body["entrypoint_resources"] = new JsonObject(EntrypointResources.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        return body;
    }

    /// <summary>Exclude patterns: -Exclude plus the runtime_env's own "excludes" list (as Ray's CLI honours it).</summary>
    public IReadOnlyList<string> AllExcludes() =>
        Excludes.Concat((RuntimeEnv?["excludes"] as JsonArray)?.Select(n => n?.ToString() ?? "").Where(s => s.Length > 0) ?? []).ToList();
}
