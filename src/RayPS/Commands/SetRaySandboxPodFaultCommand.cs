using System.Globalization;
using System.Management.Automation;
using System.Text.Json;
using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Internal;
using RayPS.Sandbox;
using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Store;

namespace RayPS.Commands;

/// <summary>
/// Gives a sandbox pod a fault (unhealthy raylet, DEAD Ray node, slow agent, OOM kills, failing GCS) by setting its
/// sandbox.rayps.io annotations, the same ones kubectl annotate sets, without needing kubectl.
/// </summary>
[Cmdlet(VerbsCommon.Set, "RaySandboxPodFault", SupportsShouldProcess = true, DefaultParameterSetName = "Set")]
[OutputType(typeof(RaySandboxPodFault))]
public sealed class SetRaySandboxPodFaultCommand : RayAsyncCmdlet
{
    /// <summary>The sandbox; default: the only sandbox running in this session.</summary>
    [Parameter]
    public RaySandbox? Sandbox { get; set; }

    /// <summary>The pod to change, e.g. the PodName of a Get-RayNodeHealth result.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string PodName { get; set; } = "";

    /// <summary>The pod's namespace; default: default.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "default";

    /// <summary>$false: the pod's raylet health check answers 503 (its liveness probe fails); $true: healthy again.</summary>
    [Parameter(ParameterSetName = "Set")]
    public bool? RayletHealthy { get; set; }

    /// <summary>DEAD: GCS reports the pod's Ray node dead; ALIVE: back to normal.</summary>
    [Parameter(ParameterSetName = "Set")]
    [ValidateSet("ALIVE", "DEAD")]
    public string? RayNodeState { get; set; }

    /// <summary>Milliseconds the pod's dashboard agent waits before answering (0 removes the delay).</summary>
    [Parameter(ParameterSetName = "Set")]
    [ValidateRange(0, 600000)]
    public int? ProbeLatencyMs { get; set; }

    /// <summary>Milliseconds after each container start at which the pod is OOMKilled (0 stops the kills).</summary>
    [Parameter(ParameterSetName = "Set")]
    [ValidateRange(0, int.MaxValue)]
    public int? OomAfterMs { get; set; }

    /// <summary>$false on a head pod: its GCS health check fails; $true: healthy again.</summary>
    [Parameter(ParameterSetName = "Set")]
    public bool? GcsHealthy { get; set; }

    /// <summary>Removes every sandbox fault from the pod.</summary>
    /// <summary>The pod's Ray node runs tasks (stateSnapshot ACTIVE): a scale-down should not pick it.</summary>
    [Parameter(ParameterSetName = "Set")]
    public bool? RayBusy { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Clear")]
    public SwitchParameter Clear { get; set; }

    /// <summary>Writes the pod's faults after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private static readonly string[] FaultAnnotations =
    [
        SandboxAnnotations.RayletHealthy, SandboxAnnotations.RayNodeState, SandboxAnnotations.ProbeLatencyMs,
        SandboxAnnotations.OomAfterMs, SandboxAnnotations.GcsHealthy, SandboxAnnotations.RayBusy,
    ];

    protected override void OnBeginProcessing()
    {
        try
        {
            ResolveSandbox();
        }
        catch (RayPSException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    private void ResolveSandbox()
    {
        if (ParameterSetName == "Set" && RayletHealthy is null && RayNodeState is null && ProbeLatencyMs is null && OomAfterMs is null && GcsHealthy is null && RayBusy is null)
        {
            throw new RayPSException(ErrorIds.PodFaultMissing, RayErrorCategory.InvalidArgument,
                "Say which fault to set: -RayletHealthy, -RayNodeState, -ProbeLatencyMs, -OomAfterMs, -GcsHealthy or -RayBusy (or -Clear to remove them).");
        }
        Sandbox ??= SandboxRegistry.All switch
        {
            [var only] => only,
            [] => throw new RayPSException(ErrorIds.SandboxNotFound, RayErrorCategory.ObjectNotFound,
                "No sandbox is running in this session. Start one with Start-RaySandbox."),
            var several => throw new RayPSException(ErrorIds.SandboxNotFound, RayErrorCategory.InvalidArgument,
                $"{several.Count} sandboxes are running in this session; say which with -Sandbox (see Get-RaySandbox)."),
        };
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var sandbox = Sandbox!;
        if (!sandbox.Running)
        {
            throw new RayPSException(ErrorIds.SandboxNotFound, RayErrorCategory.ObjectNotFound,
                $"Sandbox {sandbox.Id} has been stopped. Start one with Start-RaySandbox.", sandbox.Id);
        }
        var changes = Changes();
        var action = Clear ? "Remove every sandbox fault" : "Set " + string.Join(", ", changes.Where(c => c.Value is not null).Select(c => $"{c.Key}={c.Value}"));
        if (!await ShouldProcessAsync($"pod {Namespace}/{PodName}", action).ConfigureAwait(false))
        {
            return;
        }

        var annotations = new JsonObject();
        foreach (var (key, value) in changes)
        {
            annotations[key] = value;
        }
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = annotations } };
        JsonObject pod;
        try
        {
            pod = sandbox.Server.Store.Patch(Gvr.Pods, Namespace, PodName, PatchType.MergePatch, patch.ToJsonString(),
                new PatchOptions { FieldManager = "Set-RaySandboxPodFault" });
        }
        catch (ApiException ex) when (ex.Code == 404)
        {
            EmitError(new RayPSException(ErrorIds.PodNotFound, RayErrorCategory.ObjectNotFound,
                $"Pod '{PodName}' was not found in namespace '{Namespace}' of sandbox {sandbox.Id}. List the Ray pods with Get-RayNodeHealth.",
                PodName));
            return;
        }
        if (PassThru)
        {
            Emit(Describe(sandbox.Id, pod));
        }
    }

    // null removes an annotation (merge patch); Clear removes them all.
    private List<KeyValuePair<string, string?>> Changes()
    {
        if (Clear)
        {
            return FaultAnnotations.Select(a => new KeyValuePair<string, string?>(a, null)).ToList();
        }
        var changes = new List<KeyValuePair<string, string?>>();
        void Add(string key, string? value) => changes.Add(new(key, value));
        if (RayletHealthy is { } raylet)
        {
            Add(SandboxAnnotations.RayletHealthy, raylet ? null : "false");
        }
        if (RayNodeState is { } state)
        {
            Add(SandboxAnnotations.RayNodeState, state == "DEAD" ? "DEAD" : null);
        }
        if (ProbeLatencyMs is { } latency)
        {
            Add(SandboxAnnotations.ProbeLatencyMs, latency > 0 ? latency.ToString(CultureInfo.InvariantCulture) : null);
        }
        if (OomAfterMs is { } oom)
        {
            Add(SandboxAnnotations.OomAfterMs, oom > 0 ? oom.ToString(CultureInfo.InvariantCulture) : null);
        }
        if (GcsHealthy is { } gcs)
        {
            Add(SandboxAnnotations.GcsHealthy, gcs ? null : "false");
        }
        if (RayBusy is { } busy)
        {
            Add(SandboxAnnotations.RayBusy, busy ? "true" : null);
        }
        return changes;
    }

    private static RaySandboxPodFault Describe(int sandboxId, JsonObject pod)
    {
        var metadata = pod["metadata"]?.AsObject();
        var annotations = metadata?["annotations"] as JsonObject;
        string? Read(string key) => annotations?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        int? Ms(string key) => int.TryParse(Read(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) ? ms : null;
        bool? Flag(string key) => Read(key) is { } text ? !string.Equals(text, "false", StringComparison.OrdinalIgnoreCase) : null;
        return new RaySandboxPodFault
        {
            SandboxId = sandboxId,
            Namespace = metadata?["namespace"]?.GetValue<string>() ?? "",
            PodName = metadata?["name"]?.GetValue<string>() ?? "",
            RayletHealthy = Flag(SandboxAnnotations.RayletHealthy),
            RayNodeState = Read(SandboxAnnotations.RayNodeState),
            ProbeLatencyMs = Ms(SandboxAnnotations.ProbeLatencyMs),
            OomAfterMs = Ms(SandboxAnnotations.OomAfterMs),
            GcsHealthy = Flag(SandboxAnnotations.GcsHealthy),
            RayBusy = Read(SandboxAnnotations.RayBusy) is { } busy && string.Equals(busy, "true", StringComparison.OrdinalIgnoreCase),
        };
    }
}
