using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Cluster;

/// <summary>The result of running a probe against the simulated pod.</summary>
internal sealed record ProbeResult(bool Success, string Output)
{
    public static readonly ProbeResult Ok = new(true, "");
}

/// <summary>What the kubelet needs from the rest of the simulated cluster.</summary>
internal interface IKubeletEnvironment
{
    /// <summary>Whether the Ray GCS at <paramref name="address"/> (as resolved from the pod's namespace) answers health checks.</summary>
    bool IsGcsReady(string podNamespace, string address);

    /// <summary>Runs a liveness/readiness probe of <paramref name="container"/> against the pod's simulated endpoints.</summary>
    ProbeResult EvaluateProbe(JsonObject pod, JsonObject container, JsonObject probe);
}

/// <summary>An event the kubelet records about the pod.</summary>
internal sealed record KubeletEvent(string Type, string Reason, string Message, string? FieldPath);

/// <summary>A container (re)started or stopped; <see cref="Expected"/> tells a graceful stop from a crash.</summary>
internal sealed record ContainerNotification(string Container, bool Started, bool Expected = false, string? Reason = null);

/// <summary>What one <see cref="KubeletPod.Advance"/> produced.</summary>
internal sealed class KubeletStep
{
    public List<KubeletEvent> Events { get; } = [];
    public List<ContainerNotification> Notifications { get; } = [];
    public bool StatusChanged { get; set; }

    /// <summary>The graceful deletion finished: delete the pod with a zero grace period.</summary>
    public bool Delete { get; set; }
}

/// <summary>
/// The simulated kubelet's view of one pod on its node: init containers, image pulls (images containing
/// <c>does-not-exist</c> fail with ErrImagePull/ImagePullBackOff), container start after the configured
/// delay, readiness, liveness-probe restarts, OOM kills, CrashLoopBackOff and graceful termination.
/// A pure state machine: <see cref="Advance"/> moves it to <c>now</c>; <see cref="BuildStatus"/> renders pod.status.
/// </summary>
internal sealed class KubeletPod
{
    private readonly ClusterSimulationOptions _options;
    private readonly List<SimContainer> _init;
    private readonly List<SimContainer> _main;
    private int _initIndex;
    private DateTimeOffset? _initDoneAt;
    private DateTimeOffset? _deleteAt;
    private bool _terminating;
    private string _phase = "Pending";
    private DateTimeOffset _readyTransition;
    private DateTimeOffset _initializedTransition;
    private bool _lastReady;
    private bool _lastInitialized;

    /// <param name="pod">The pod as stored.</param>
    /// <param name="node">The node it is bound to.</param>
    /// <param name="hostIp">The node's address.</param>
    /// <param name="podIp">The pod's address.</param>
    /// <param name="now">The time it is scheduled.</param>
    /// <param name="options">Timings.</param>
    /// <param name="createdAt">When the pod was created (defaults to its creationTimestamp, which has second precision).</param>
    public KubeletPod(JsonObject pod, string node, string hostIp, string podIp, DateTimeOffset now, ClusterSimulationOptions options, DateTimeOffset? createdAt = null)
    {
        _options = options;
        Pod = pod;
        Namespace = ObjectMeta.Namespace(pod) ?? "default";
        Name = ObjectMeta.Name(pod);
        Uid = ObjectMeta.Uid(pod);
        NodeName = node;
        HostIp = hostIp;
        PodIp = podIp;
        ScheduledAt = now;
        var created = createdAt ?? PodInfo.CreationTime(pod);
        CreatedAt = created == DateTimeOffset.MinValue ? now : created;
        _readyTransition = now;
        _initializedTransition = now;
        _init = PodInfo.InitContainers(pod).Select(c => new SimContainer(c, init: true)).ToList();
        _main = PodInfo.Containers(pod).Select(c => new SimContainer(c, init: false)).ToList();
        _lastInitialized = _init.Count == 0;
        if (_init.Count == 0)
        {
            _initDoneAt = now;
        }
    }

    public string Namespace { get; }
    public string Name { get; }
    public string Uid { get; }
    public string NodeName { get; }
    public string HostIp { get; }
    public string PodIp { get; }
    public DateTimeOffset ScheduledAt { get; }
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The latest stored pod (annotations and images are read from it live).</summary>
    public JsonObject Pod { get; private set; }

    /// <summary>When <see cref="Advance"/> should run next (null: only on an external change).</summary>
    public DateTimeOffset? WakeAt { get; private set; }

    /// <summary>The GCS address an init container is waiting for, if any.</summary>
    public string? WaitingForGcs { get; private set; }

    public bool IsRunning => _phase == "Running";

    public string Phase => _phase;

    /// <summary>Whether the named container is running now.</summary>
    public bool IsContainerRunning(string name) => _main.Any(c => c.Name == name && c.State == ContainerState.Running);

    public IEnumerable<string> RunningContainers => _main.Where(c => c.State == ContainerState.Running).Select(c => c.Name);

    /// <summary>A new stored version of the pod (annotations, images or deletion changed).</summary>
    public void Update(JsonObject pod)
    {
        Pod = pod;
        foreach (var c in _init.Concat(_main))
        {
            var spec = (c.Init ? PodInfo.InitContainers(pod) : PodInfo.Containers(pod)).FirstOrDefault(x => JsonNodes.GetString(x["name"]) == c.Name);
            if (spec is not null)
            {
                c.Spec = spec;
            }
        }
    }

    private int? StartDelayMs => SandboxAnnotations.Milliseconds(Pod, SandboxAnnotations.StartDelayMs);

    private DateTimeOffset MainStartAt
    {
        get
        {
            var delay = StartDelayMs is { } ms ? TimeSpan.FromMilliseconds(ms) : _options.StartDelay;
            var at = CreatedAt + delay;
            return _initDoneAt is { } done && done > at ? done : at;
        }
    }

    private string RestartPolicy => JsonNodes.StringAt(Pod, "spec", "restartPolicy") ?? "Always";

    public KubeletStep Advance(DateTimeOffset now, IKubeletEnvironment env)
    {
        var step = new KubeletStep();
        var wake = new List<DateTimeOffset>();
        WaitingForGcs = null;
        if (PodInfo.IsTerminating(Pod))
        {
            if (!_terminating)
            {
                _terminating = true;
                _deleteAt = now + _options.TerminationDelay;
                foreach (var c in _init.Concat(_main).Where(c => c.State == ContainerState.Running))
                {
                    step.Events.Add(new KubeletEvent("Normal", "Killing", $"Stopping container {c.Name}", c.FieldPath));
                    if (!c.Init)
                    {
                        step.Notifications.Add(new ContainerNotification(c.Name, Started: false, Expected: true, "received SIGTERM"));
                    }
                }
            }
            if (now >= _deleteAt)
            {
                step.Delete = true;
                WakeAt = null;
            }
            else
            {
                WakeAt = _deleteAt;
            }
            return step;
        }

        // Init containers, one after another.
        while (_initDoneAt is null && _initIndex < _init.Count)
        {
            var c = _init[_initIndex];
            if (c.State == ContainerState.Waiting)
            {
                PullBackOff(c, now, step, wake);
                if (c.NextAttempt > now)
                {
                    wake.Add(c.NextAttempt);
                    break;
                }
                TryStart(c, now, step, wake);
                if (c.State != ContainerState.Running)
                {
                    break;
                }
                c.CompleteAt = now + _options.InitContainerDelay;
            }
            if (c.State == ContainerState.Running)
            {
                var gcs = GcsAddress(c.Spec);
                if (now < c.CompleteAt)
                {
                    wake.Add(c.CompleteAt);
                    break;
                }
                if (gcs is not null && !env.IsGcsReady(Namespace, gcs))
                {
                    WaitingForGcs = gcs;
                    wake.Add(now + _options.Seconds(5));
                    break;
                }
                c.State = ContainerState.Terminated;
                c.ExitCode = 0;
                c.TerminatedReason = "Completed";
                c.FinishedAt = now;
                step.StatusChanged = true;
                _initIndex++;
                if (_initIndex == _init.Count)
                {
                    _initDoneAt = now;
                }
            }
        }

        if (_initDoneAt is not null)
        {
            foreach (var c in _main)
            {
                AdvanceMain(c, now, env, step, wake);
            }
        }

        var phase = ComputePhase();
        if (phase != _phase)
        {
            _phase = phase;
            step.StatusChanged = true;
        }
        var ready = _phase == "Running" && _main.All(c => c.Ready);
        if (ready != _lastReady)
        {
            _lastReady = ready;
            _readyTransition = now;
            step.StatusChanged = true;
        }
        var initialized = _initDoneAt is not null;
        if (initialized != _lastInitialized)
        {
            _lastInitialized = initialized;
            _initializedTransition = now;
        }
        WakeAt = wake.Count == 0 ? null : wake.Min();
        return step;
    }

    private string ComputePhase()
    {
        if (_initDoneAt is null || _main.All(c => c.RestartCount == 0 && c.State == ContainerState.Waiting))
        {
            return "Pending";
        }
        if (RestartPolicy == "Never" && _main.All(c => c.State == ContainerState.Terminated))
        {
            return _main.Any(c => c.ExitCode != 0) ? "Failed" : "Succeeded";
        }
        return "Running";
    }

    private void AdvanceMain(SimContainer c, DateTimeOffset now, IKubeletEnvironment env, KubeletStep step, List<DateTimeOffset> wake)
    {
        if (c.State == ContainerState.Waiting)
        {
            var at = c.RestartAt ?? MainStartAt;
            if (c.NextAttempt > at)
            {
                at = c.NextAttempt;
            }
            PullBackOff(c, now, step, wake);
            if (now < at)
            {
                wake.Add(at);
                return;
            }
            TryStart(c, now, step, wake);
            if (c.State == ContainerState.Running)
            {
                // Probes and timers run from the next step on, once the started process is known to the rest of the cluster.
                wake.Add(now);
            }
            return;
        }
        if (c.State == ContainerState.Terminated)
        {
            return;
        }

        // Running.
        if (c.Image != c.RunningImage)
        {
            step.Events.Add(new KubeletEvent("Normal", "Killing", $"Container {c.Name} definition changed, will be restarted", c.FieldPath));
            Terminate(c, now, "Error", 137, step, wake, crash: false);
            return;
        }
        if (SandboxAnnotations.Milliseconds(Pod, SandboxAnnotations.OomAfterMs) is { } oomMs)
        {
            var oomAt = c.StartedAt!.Value + TimeSpan.FromMilliseconds(oomMs);
            if (now >= oomAt)
            {
                Terminate(c, now, "OOMKilled", 137, step, wake, crash: true);
                return;
            }
            wake.Add(oomAt);
        }
        var livenessFrom = c.Spec["livenessProbe"] is JsonObject lp ? c.StartedAt!.Value + _options.Seconds(ProbeInt(lp, "initialDelaySeconds", 0)) : now;
        if (c.Spec["livenessProbe"] is JsonObject && now < livenessFrom)
        {
            // Liveness probing starts after initialDelaySeconds.
            wake.Add(livenessFrom);
        }
        else if (c.Spec["livenessProbe"] is JsonObject liveness)
        {
            var result = env.EvaluateProbe(Pod, c.Spec, liveness);
            if (!result.Success)
            {
                c.LivenessFailingSince ??= now;
                // A kubelet records every failed probe; its event correlator counts the repeats of one message.
                step.Events.Add(new KubeletEvent("Warning", "Unhealthy", "Liveness probe failed: " + result.Output, c.FieldPath));
                var killAt = c.LivenessFailingSince.Value + _options.Seconds(ProbeInt(liveness, "periodSeconds", 10) * ProbeInt(liveness, "failureThreshold", 3));
                if (now >= killAt)
                {
                    step.Events.Add(new KubeletEvent("Normal", "Killing", $"Container {c.Name} failed liveness probe, will be restarted", c.FieldPath));
                    Terminate(c, now, "Error", 137, step, wake, crash: true);
                    return;
                }
                wake.Add(killAt);
            }
            else
            {
                c.LivenessFailingSince = null;
            }
        }
        if (c.Spec["readinessProbe"] is JsonObject readiness)
        {
            var period = _options.Seconds(ProbeInt(readiness, "periodSeconds", 10));
            if (now < c.ReadyCheckAt)
            {
                wake.Add(c.ReadyCheckAt);
                return;
            }
            var result = env.EvaluateProbe(Pod, c.Spec, readiness);
            if (result.Success)
            {
                c.ReadinessFailingSince = null;
                if (!c.Ready)
                {
                    c.Ready = true;
                    step.StatusChanged = true;
                }
            }
            else if (c.Ready)
            {
                c.ReadinessFailingSince ??= now;
                step.Events.Add(new KubeletEvent("Warning", "Unhealthy", "Readiness probe failed: " + result.Output, c.FieldPath));
                var notReadyAt = c.ReadinessFailingSince.Value + _options.Seconds(ProbeInt(readiness, "periodSeconds", 10) * ProbeInt(readiness, "failureThreshold", 3));
                if (now >= notReadyAt)
                {
                    c.Ready = false;
                    step.StatusChanged = true;
                    wake.Add(now + period);
                }
                else
                {
                    wake.Add(notReadyAt);
                }
            }
            else
            {
                // Not ready yet (a Ray node still starting): a kubelet records these failures too, then probes again next period.
                step.Events.Add(new KubeletEvent("Warning", "Unhealthy", "Readiness probe failed: " + result.Output, c.FieldPath));
                wake.Add(now + period);
            }
        }
    }

    /// <summary>ErrImagePull turns into ImagePullBackOff until the next pull attempt.</summary>
    private static void PullBackOff(SimContainer c, DateTimeOffset now, KubeletStep step, List<DateTimeOffset> wake)
    {
        if (c.PullBackOffAt is not { } backOffAt || c.WaitingReason != "ErrImagePull")
        {
            return;
        }
        if (now < backOffAt)
        {
            wake.Add(backOffAt);
            return;
        }
        c.WaitingReason = "ImagePullBackOff";
        c.WaitingMessage = $"Back-off pulling image \"{c.Image}\"";
        c.PullBackOffAt = null;
        step.Events.Add(new KubeletEvent("Normal", "BackOff", $"Back-off pulling image \"{c.Image}\"", c.FieldPath));
        step.Events.Add(new KubeletEvent("Warning", "Failed", "Error: ImagePullBackOff", c.FieldPath));
        step.StatusChanged = true;
    }

    private void TryStart(SimContainer c, DateTimeOffset now, KubeletStep step, List<DateTimeOffset> wake)
    {
        var image = c.Image;
        if (image.Contains("does-not-exist", StringComparison.Ordinal))
        {
            c.PullAttempts++;
            var reference = NormalizeImage(image);
            var error = $"rpc error: code = NotFound desc = failed to pull and unpack image \"{reference}\": failed to resolve reference \"{reference}\": {reference}: not found";
            step.Events.Add(new KubeletEvent("Normal", "Pulling", $"Pulling image \"{image}\"", c.FieldPath));
            step.Events.Add(new KubeletEvent("Warning", "Failed", $"Failed to pull image \"{image}\": {error}", c.FieldPath));
            step.Events.Add(new KubeletEvent("Warning", "Failed", "Error: ErrImagePull", c.FieldPath));
            c.WaitingReason = "ErrImagePull";
            c.WaitingMessage = error;
            c.PullBackOffAt = now + _options.Seconds(1);
            c.NextAttempt = now + _options.Seconds(Math.Min(300, 10 * Math.Pow(2, c.PullAttempts - 1)));
            wake.Add(c.PullBackOffAt.Value);
            wake.Add(c.NextAttempt);
            step.StatusChanged = true;
            return;
        }
        c.PullAttempts = 0;
        c.PullBackOffAt = null;
        var pullPolicy = JsonNodes.GetString(c.Spec["imagePullPolicy"]) ?? (image.EndsWith(":latest", StringComparison.Ordinal) || !image.Contains(':') ? "Always" : "IfNotPresent");
        if (pullPolicy == "Always")
        {
            step.Events.Add(new KubeletEvent("Normal", "Pulling", $"Pulling image \"{image}\"", c.FieldPath));
            step.Events.Add(new KubeletEvent("Normal", "Pulled",
                $"Successfully pulled image \"{image}\" in 512ms (512ms including waiting). Image size: 1073741824 bytes.", c.FieldPath));
        }
        else
        {
            step.Events.Add(new KubeletEvent("Normal", "Pulled", $"Container image \"{image}\" already present on machine", c.FieldPath));
        }
        step.Events.Add(new KubeletEvent("Normal", "Created", $"Created container: {c.Name}", c.FieldPath));
        step.Events.Add(new KubeletEvent("Normal", "Started", $"Started container {c.Name}", c.FieldPath));
        c.State = ContainerState.Running;
        c.RunningImage = image;
        c.StartedAt = now;
        c.ContainerId = "containerd://" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        c.WaitingReason = null;
        c.WaitingMessage = null;
        c.RestartAt = null;
        c.LivenessFailingSince = null;
        c.ReadinessFailingSince = null;
        c.Ready = c.Init || c.Spec["readinessProbe"] is null;
        c.ReadyCheckAt = now + _options.ReadyDelay;
        if (!c.Ready)
        {
            wake.Add(c.ReadyCheckAt);
        }
        step.StatusChanged = true;
        if (!c.Init)
        {
            step.Notifications.Add(new ContainerNotification(c.Name, Started: true));
        }
    }

    private void Terminate(SimContainer c, DateTimeOffset now, string reason, int exitCode, KubeletStep step, List<DateTimeOffset> wake, bool crash)
    {
        var ranFor = now - (c.StartedAt ?? now);
        c.LastTerminated = new JsonObject
        {
            ["exitCode"] = exitCode,
            ["reason"] = reason,
            ["startedAt"] = ObjectMeta.Timestamp(c.StartedAt ?? now),
            ["finishedAt"] = ObjectMeta.Timestamp(now),
            ["containerID"] = c.ContainerId,
        };
        c.Ready = false;
        c.RestartCount++;
        step.StatusChanged = true;
        step.Notifications.Add(new ContainerNotification(c.Name, Started: false, Expected: false, reason));
        if (RestartPolicy == "Never" || (RestartPolicy == "OnFailure" && exitCode == 0))
        {
            c.State = ContainerState.Terminated;
            c.ExitCode = exitCode;
            c.TerminatedReason = reason;
            c.FinishedAt = now;
            c.RestartCount--;
            return;
        }
        // Back-off resets after ten minutes of running.
        if (ranFor > _options.Seconds(600))
        {
            c.CrashCount = 0;
        }
        c.CrashCount = crash ? c.CrashCount + 1 : c.CrashCount;
        c.State = ContainerState.Waiting;
        c.StartedAt = null;
        if (crash && c.CrashCount >= 2)
        {
            var backOff = Math.Min(300, 10 * Math.Pow(2, c.CrashCount - 2));
            c.RestartAt = now + _options.Seconds(backOff);
            c.WaitingReason = "CrashLoopBackOff";
            c.WaitingMessage = $"back-off {FormatGoDuration(backOff)} restarting failed container={c.Name} pod={Name}_{Namespace}({Uid})";
            step.Events.Add(new KubeletEvent("Warning", "BackOff", $"Back-off restarting failed container {c.Name} in pod {Name}_{Namespace}({Uid})", c.FieldPath));
            wake.Add(c.RestartAt.Value);
        }
        else
        {
            c.RestartAt = now;
            c.WaitingReason = "ContainerCreating";
            c.WaitingMessage = null;
            wake.Add(now);
        }
    }

    private static string FormatGoDuration(double seconds)
    {
        var total = (int)seconds;
        return total >= 60 ? $"{total / 60}m{total % 60}s" : $"{total}s";
    }

    private static int ProbeInt(JsonObject probe, string field, int fallback) => (int)(JsonNodes.GetInteger(probe[field]) ?? fallback);

    /// <summary>The address a <c>ray health-check --address X</c> init container waits for.</summary>
    public static string? GcsAddress(JsonObject container)
    {
        var line = RayStartCommand.ContainerCommandLine(container);
        var tokens = RayStartCommand.Tokenize(line);
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i] == "health-check" && i > 0 && tokens[i - 1] == "ray")
            {
                for (var j = i + 1; j < tokens.Count && j < i + 4; j++)
                {
                    if (tokens[j] == "--address" && j + 1 < tokens.Count)
                    {
                        return tokens[j + 1];
                    }
                    if (tokens[j].StartsWith("--address=", StringComparison.Ordinal))
                    {
                        return tokens[j]["--address=".Length..];
                    }
                }
            }
        }
        return null;
    }

    /// <summary>The fully qualified image reference containerd reports (docker.io/library/... for short names).</summary>
    public static string NormalizeImage(string image)
    {
        var name = image;
        var slash = name.IndexOf('/');
        var first = slash < 0 ? "" : name[..slash];
        if (slash < 0)
        {
            name = "docker.io/library/" + name;
        }
        else if (!first.Contains('.') && !first.Contains(':') && first != "localhost")
        {
            name = "docker.io/" + name;
        }
        var lastSlash = name.LastIndexOf('/');
        if (!name[(lastSlash + 1)..].Contains(':') && !name.Contains('@'))
        {
            name += ":latest";
        }
        return name;
    }

    private static string ImageId(string image)
    {
        var normalized = NormalizeImage(image);
        var at = normalized.IndexOf('@');
        var repo = at >= 0 ? normalized[..at] : normalized[..normalized.LastIndexOf(':')];
        var digest = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(normalized))).ToLowerInvariant();
        return repo + "@sha256:" + digest;
    }

    /// <summary>pod.status as the kubelet reports it now.</summary>
    public JsonObject BuildStatus()
    {
        var initialized = _initDoneAt is not null;
        var containersReady = _phase == "Running" && _main.All(c => c.Ready);
        var unready = _main.Where(c => !c.Ready).Select(c => c.Name).ToList();
        var incompleteInit = _init.Where(c => c.State != ContainerState.Terminated || c.ExitCode != 0).Select(c => c.Name).ToList();
        var scheduled = ObjectMeta.Timestamp(ScheduledAt);
        var generation = ObjectMeta.Generation(Pod);
        JsonObject Condition(string type, string status, string time, string? reason = null, string? message = null) =>
            PodCondition(type, generation, status, time, reason, message);
        var conditions = new JsonArray
        {
            Condition("PodReadyToStartContainers", "True", scheduled),
            initialized
                ? Condition("Initialized", "True", ObjectMeta.Timestamp(_initializedTransition))
                : Condition("Initialized", "False", ObjectMeta.Timestamp(_initializedTransition), "ContainersNotInitialized",
                    $"containers with incomplete status: [{string.Join(" ", incompleteInit)}]"),
            containersReady
                ? Condition("Ready", "True", ObjectMeta.Timestamp(_readyTransition))
                : Condition("Ready", "False", ObjectMeta.Timestamp(_readyTransition), "ContainersNotReady", $"containers with unready status: [{string.Join(" ", unready)}]"),
            containersReady
                ? Condition("ContainersReady", "True", ObjectMeta.Timestamp(_readyTransition))
                : Condition("ContainersReady", "False", ObjectMeta.Timestamp(_readyTransition), "ContainersNotReady", $"containers with unready status: [{string.Join(" ", unready)}]"),
            Condition("PodScheduled", "True", scheduled),
        };
        var status = new JsonObject();
        if (generation > 0)
        {
            // Pod generation tracking (beta since 1.34): the kubelet reports the generation it acted on.
            status["observedGeneration"] = generation;
        }
        var fields = new JsonObject
        {
            ["phase"] = _phase,
            ["conditions"] = conditions,
            ["hostIP"] = HostIp,
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = HostIp }),
            ["podIP"] = PodIp,
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = PodIp }),
            ["startTime"] = scheduled,
        };
        foreach (var (key, value) in fields.ToList())
        {
            fields.Remove(key);
            status[key] = value;
        }
        if (_init.Count > 0)
        {
            status["initContainerStatuses"] = new JsonArray(_init.Select((c, i) => (JsonNode?)ContainerStatus(c, pendingBeforeStart: i > _initIndex)).ToArray());
        }
        status["containerStatuses"] = new JsonArray(_main.Select(c => (JsonNode?)ContainerStatus(c, pendingBeforeStart: !initialized)).ToArray());
        if (JsonNodes.StringAt(Pod, "status", "qosClass") is { } qos)
        {
            status["qosClass"] = qos;
        }
        return status;
    }

    private static JsonObject PodCondition(string type, long generation, string status, string time, string? reason, string? message)
    {
        var c = new JsonObject { ["type"] = type };
        if (generation > 0)
        {
            c["observedGeneration"] = generation;
        }
        c["status"] = status;
        c["lastProbeTime"] = null;
        c["lastTransitionTime"] = time;
        if (reason is not null)
        {
            c["reason"] = reason;
        }
        if (message is not null)
        {
            c["message"] = message;
        }
        return c;
    }

    private JsonObject ContainerStatus(SimContainer c, bool pendingBeforeStart)
    {
        JsonObject state;
        switch (c.State)
        {
            case ContainerState.Running:
                state = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = ObjectMeta.Timestamp(c.StartedAt!.Value) } };
                break;
            case ContainerState.Terminated:
                state = new JsonObject
                {
                    ["terminated"] = new JsonObject
                    {
                        ["exitCode"] = c.ExitCode,
                        ["reason"] = c.TerminatedReason,
                        ["startedAt"] = ObjectMeta.Timestamp(c.StartedAt ?? c.FinishedAt!.Value),
                        ["finishedAt"] = ObjectMeta.Timestamp(c.FinishedAt!.Value),
                        ["containerID"] = c.ContainerId,
                    },
                };
                break;
            default:
                var waiting = new JsonObject { ["reason"] = c.WaitingReason ?? (pendingBeforeStart ? "PodInitializing" : "ContainerCreating") };
                if (c.WaitingMessage is not null)
                {
                    waiting["message"] = c.WaitingMessage;
                }
                state = new JsonObject { ["waiting"] = waiting };
                break;
        }
        var result = new JsonObject
        {
            ["name"] = c.Name,
            ["state"] = state,
            ["lastState"] = c.LastTerminated is null ? new JsonObject() : new JsonObject { ["terminated"] = c.LastTerminated.DeepClone() },
            ["ready"] = c.State == ContainerState.Running && c.Ready && !c.Init,
            ["restartCount"] = c.RestartCount,
            ["image"] = NormalizeImage(c.Image),
            ["imageID"] = c.StartedAt is not null || c.State == ContainerState.Terminated || c.LastTerminated is not null ? ImageId(c.Image) : "",
        };
        if (c.ContainerId.Length > 0 && (c.State != ContainerState.Waiting || c.LastTerminated is not null))
        {
            result["containerID"] = c.ContainerId;
        }
        result["started"] = c.State == ContainerState.Running;
        return result;
    }

    private enum ContainerState
    {
        Waiting,
        Running,
        Terminated,
    }

    private sealed class SimContainer(JsonObject spec, bool init)
    {
        public JsonObject Spec { get; set; } = spec;
        public bool Init { get; } = init;
        public string Name { get; } = JsonNodes.GetString(spec["name"]) ?? "";
        public string Image => JsonNodes.GetString(Spec["image"]) ?? "";
        public string? RunningImage { get; set; }
        public string FieldPath => (Init ? "spec.initContainers{" : "spec.containers{") + Name + "}";
        public ContainerState State { get; set; } = ContainerState.Waiting;
        public string? WaitingReason { get; set; }
        public string? WaitingMessage { get; set; }
        public DateTimeOffset? StartedAt { get; set; }
        public DateTimeOffset? FinishedAt { get; set; }
        public int ExitCode { get; set; }
        public string? TerminatedReason { get; set; }
        public JsonObject? LastTerminated { get; set; }
        public int RestartCount { get; set; }
        public int CrashCount { get; set; }
        public bool Ready { get; set; }
        public string ContainerId { get; set; } = "";
        public DateTimeOffset NextAttempt { get; set; } = DateTimeOffset.MinValue;
        public DateTimeOffset? PullBackOffAt { get; set; }
        public int PullAttempts { get; set; }
        public DateTimeOffset? RestartAt { get; set; }
        public DateTimeOffset CompleteAt { get; set; }
        public DateTimeOffset ReadyCheckAt { get; set; }
        public DateTimeOffset? LivenessFailingSince { get; set; }
        public DateTimeOffset? ReadinessFailingSince { get; set; }
    }
}
