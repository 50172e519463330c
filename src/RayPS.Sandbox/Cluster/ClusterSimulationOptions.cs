namespace RayPS.Sandbox.Cluster;

/// <summary>
/// Timing and shape of the simulated cluster behind the sandbox's API (kubelet, controllers, Ray).
/// Defaults are fast so tests finish quickly; raise them to rehearse with realistic pacing.
/// </summary>
public sealed class ClusterSimulationOptions
{
    /// <summary>From pod creation to the scheduler binding it to a node.</summary>
    public TimeSpan ScheduleDelay { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// From pod creation to its containers running (phase Running). A pod annotation
    /// <c>sandbox.rayps.io/start-delay-ms</c> overrides it per pod.
    /// </summary>
    public TimeSpan StartDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>From a container running to it being Ready (containers with a readiness probe).</summary>
    public TimeSpan ReadyDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long each init container runs (those waiting for a Ray GCS wait for it instead).</summary>
    public TimeSpan InitContainerDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>From a graceful pod deletion to the kubelet removing the pod.</summary>
    public TimeSpan TerminationDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The real duration of one second of probe and back-off time (probe periods, failure thresholds,
    /// initial delays, CrashLoopBackOff and ImagePullBackOff). The default compresses a minute into 0.6 s.
    /// </summary>
    public TimeSpan ProbeSecond { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Pods per node before the kubelet adds another node (a node's pod CIDR is a /24).</summary>
    public int MaxPodsPerNode { get; set; } = 110;

    /// <summary>Whether the kubelet, scheduler and controllers record core/v1 Events.</summary>
    public bool RecordEvents { get; set; } = true;

    /// <summary>From a Ray job's submission to its driver running (when the cluster has the resources).</summary>
    public TimeSpan JobStartDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a Ray job runs unless its entrypoint says otherwise (<c>sleep N</c>: N × <see cref="ProbeSecond"/>).</summary>
    public TimeSpan JobRunTime { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Ray's limit on an uploaded working_dir package (GCS_STORAGE_MAX_SIZE): 500 MiB.</summary>
    public long PackageMaxBytes { get; set; } = 500L * 1024 * 1024;

    /// <summary>The Kubernetes version nodes report.</summary>
    public string KubeletVersion { get; set; } = "v1.36.2";

    internal TimeSpan Seconds(double probeSeconds) => TimeSpan.FromTicks((long)(ProbeSecond.Ticks * probeSeconds));
}
