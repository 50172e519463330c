using System.Globalization;
using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Cluster;

/// <summary>Pod annotations that inject faults into the simulated cluster (read live).</summary>
public static class SandboxAnnotations
{
    /// <summary><c>"false"</c>: the pod's raylet is unhealthy (agent healthz 503 <c>Local Raylet failed</c>; liveness fails).</summary>
    public const string RayletHealthy = "sandbox.rayps.io/raylet-healthy";

    /// <summary><c>"DEAD"</c>: GCS reports the pod's Ray node dead.</summary>
    public const string RayNodeState = "sandbox.rayps.io/ray-node-state";

    /// <summary>Milliseconds the pod's dashboard agent waits before answering.</summary>
    public const string ProbeLatencyMs = "sandbox.rayps.io/probe-latency-ms";

    /// <summary>Milliseconds from creation until the pod's containers run (overrides the kubelet's start delay).</summary>
    public const string StartDelayMs = "sandbox.rayps.io/start-delay-ms";

    /// <summary>Milliseconds after each container start at which it is OOMKilled.</summary>
    public const string OomAfterMs = "sandbox.rayps.io/oom-after-ms";

    /// <summary><c>"false"</c> on a head pod: its GCS health check fails (<c>/api/gcs_healthz</c> 503).</summary>
    public const string GcsHealthy = "sandbox.rayps.io/gcs-healthy";

    /// <summary><c>"true"</c>: the pod's Ray node runs tasks or actors (stateSnapshot ACTIVE, 1 CPU in use), as a running job would.</summary>
    public const string RayBusy = "sandbox.rayps.io/ray-busy";

    internal static bool IsTrue(JsonObject pod, string annotation) =>
        string.Equals(PodInfo.Annotation(pod, annotation), "true", StringComparison.OrdinalIgnoreCase);

    internal static int? Milliseconds(JsonObject pod, string annotation) =>
        int.TryParse(PodInfo.Annotation(pod, annotation), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) && ms >= 0 ? ms : null;

    internal static bool IsFalse(JsonObject pod, string annotation) =>
        string.Equals(PodInfo.Annotation(pod, annotation), "false", StringComparison.OrdinalIgnoreCase);
}
