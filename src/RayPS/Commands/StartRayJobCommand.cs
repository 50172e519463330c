using System.Collections;
using System.Management.Automation;
using System.Text.Json.Nodes;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Internal;
using RayPS.Jobs;

namespace RayPS.Commands;

/// <summary>
/// Submits a Ray job through Ray's Jobs REST API behind the API server's proxy of the head service, optionally uploading
/// a local working directory (content-addressed, as Ray's CLI does), then returns it, waits for it, or follows its log.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "RayJob", SupportsShouldProcess = true, DefaultParameterSetName = "Submit")]
[OutputType(typeof(RayJob), ParameterSetName = new[] { "Submit", "Wait" })]
[OutputType(typeof(string), ParameterSetName = new[] { "Follow" })]
public sealed class StartRayJobCommand : RayJobCmdletBase
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 0)]
    [AllowEmptyString]
    public string Entrypoint { get; set; } = "";

    [Parameter]
    public string? WorkingDirectory { get; set; }

    [Parameter]
    public string[] Exclude { get; set; } = [];

    [Parameter]
    public IDictionary? RuntimeEnv { get; set; }

    [Parameter]
    public string[] PipPackage { get; set; } = [];

    [Parameter]
    public IDictionary? EnvironmentVariable { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SubmissionId { get; set; }

    [Parameter]
    public IDictionary? Metadata { get; set; }

    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double? EntrypointNumCpus { get; set; }

    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double? EntrypointNumGpus { get; set; }

    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long? EntrypointMemory { get; set; }

    [Parameter]
    public IDictionary? EntrypointResources { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Wait")]
    public SwitchParameter Wait { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Follow")]
    public SwitchParameter Follow { get; set; }

    [Parameter(ParameterSetName = "Wait")]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 3600;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        RayJobOperations.ValidateEntrypoint(Entrypoint);
        var submission = new RayJobSubmission
        {
            Entrypoint = Entrypoint,
            SubmissionId = SubmissionId,
            RuntimeEnv = RuntimeEnv is null ? null : JsonValueOf(RuntimeEnv) as JsonObject,
            PipPackages = PipPackage,
            EnvironmentVariables = HashtableParameters.Strings(EnvironmentVariable).ToDictionary(kv => kv.Key, kv => kv.Value),
            Metadata = HashtableParameters.Strings(Metadata).ToDictionary(kv => kv.Key, kv => kv.Value),
            EntrypointNumCpus = EntrypointNumCpus,
            EntrypointNumGpus = EntrypointNumGpus,
            EntrypointMemory = EntrypointMemory,
            EntrypointResources = Amounts(EntrypointResources),
            WorkingDirectory = WorkingDirectory is null ? null : await OnPipelineThread(() => SessionState.Path.GetUnresolvedProviderPathFromPSPath(WorkingDirectory)).ConfigureAwait(false),
            Excludes = Exclude,
        };
        if (submission.WorkingDirectory is { } folder)
        {
            // Checked before -WhatIf answers, so a dry run reports a wrong path too; nothing is sent.
            WorkingDirectoryPackage.EnsureExists(folder);
        }
        var ns = TargetNamespace;
        var target = $"Ray job '{Entrypoint}' on cluster '{ns}/{ClusterName}' (context '{Connection.ContextName}')";
        if (!await ShouldProcessAsync(target, WorkingDirectory is null ? "Submit" : $"Upload '{submission.WorkingDirectory}' and submit").ConfigureAwait(false))
        {
            return;
        }
        var ray = Ray(ClusterName);
        RayJob job;
        PackageUpload? upload;
        try
        {
            (job, upload) = await RayJobOperations.SubmitAsync(ray, submission, cancellationToken).ConfigureAwait(false);
        }
        catch (RayPSException ex)
        {
            // Per input: other clusters on the pipeline still get their job.
            EmitError(ex);
            return;
        }
        if (upload is not null)
        {
            EmitVerbose(upload.Uploaded
                ? $"Uploaded the working directory as {upload.Uri} ({upload.Files} files, {upload.Bytes} bytes)."
                : $"The cluster already holds the working directory as {upload.Uri}; nothing uploaded.");
        }
        EmitVerbose($"Submitted Ray job '{job.Id}' to cluster '{ns}/{ClusterName}'.");
        if (Follow)
        {
            await FollowAsync(ray, job.Id, cancellationToken).ConfigureAwait(false);
            var final = await RayJobOperations.GetAsync(ray, job.Id, cancellationToken).ConfigureAwait(false);
            if (RayJobOperations.OutcomeError(final) is { } failed)
            {
                EmitError(failed);
            }
            return;
        }
        if (Wait)
        {
            job = await WaitWithProgressAsync(ray, job.Id, TimeSpan.FromSeconds(TimeoutSec), cancellationToken, job).ConfigureAwait(false);
            if (RayJobOperations.OutcomeError(job) is { } failed)
            {
                EmitError(failed);
            }
        }
        Emit(job);
    }

    private static Dictionary<string, double> Amounts(IDictionary? map)
    {
        var decimals = new Dictionary<string, decimal>(StringComparer.Ordinal);
        HashtableParameters.AddAmounts("EntrypointResources", map, decimals);
        return decimals.ToDictionary(kv => kv.Key, kv => (double)kv.Value, StringComparer.Ordinal);
    }

    /// <summary>A hashtable/array/scalar from PowerShell as JSON (hashtables become objects, keys as text).</summary>
    internal static JsonNode? JsonValueOf(object? value)
    {
        var raw = value is PSObject ps ? ps.BaseObject : value;
        switch (raw)
        {
            case null:
                return null;
            case string s:
                return JsonValue.Create(s);
            case bool b:
                return JsonValue.Create(b);
            case IDictionary map:
                var obj = new JsonObject();
                foreach (DictionaryEntry entry in map)
                {
                    obj[HashtableParameters.Text(entry.Key)] = JsonValueOf(entry.Value);
                }
                return obj;
            case IEnumerable items:
                var array = new JsonArray();
                foreach (var item in items)
                {
                    array.Add(JsonValueOf(item));
                }
                return array;
            case int or long or short or byte or sbyte or uint or ulong or ushort:
                return JsonValue.Create(Convert.ToInt64(raw, System.Globalization.CultureInfo.InvariantCulture));
            case double or float or decimal:
                return JsonValue.Create(Convert.ToDouble(raw, System.Globalization.CultureInfo.InvariantCulture));
            default:
                return JsonValue.Create(raw.ToString());
        }
    }
}
