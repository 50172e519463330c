using System.Globalization;
using RayPS.Model;
using RayPS.Ray;

namespace RayPS.Operations;

/// <summary>
/// The health rules, in one place: from what was observed about a node (pod, raylet probe, GCS check, Ray's node
/// state) to a Status and a Reason a person can act on at 3 a.m.; and from the nodes of a cluster to its verdict.
/// Pure functions: no I/O, the clock is an input.
/// </summary>
internal static class NodeHealthRules
{
    /// <summary>Restarts and deaths older than this are history, not news: they no longer make a node Degraded.</summary>
    public static readonly TimeSpan RecentWindow = TimeSpan.FromHours(1);

    private static readonly HashSet<string> ImagePullReasons = new(StringComparer.Ordinal) { "ImagePullBackOff", "ErrImagePull", "ErrImageNeverPull" };
    private static readonly HashSet<string> ContainerErrorReasons = new(StringComparer.Ordinal) { "CreateContainerConfigError", "CreateContainerError", "RunContainerError", "PreCreateHookError", "PostStartHookError" };

    public static NodeVerdict Evaluate(NodeEvidence e)
    {
        var findings = new Findings();
        if (e.Pod is { } pod)
        {
            PodFindings(pod, e.Now, findings);
            RayletFindings(pod, e.Raylet, e.ProxyPathBlocked, findings);
        }
        GcsFindings(e, findings);
        RayStateFindings(e, findings);
        return findings.Verdict();
    }

    private static void PodFindings(RayPodFacts pod, DateTimeOffset now, Findings f)
    {
        if (pod.Terminating)
        {
            f.Add(RayHealthStatus.Unhealthy, $"Pod terminating since {When(pod.DeletionTimestamp!.Value, now)}");
        }

        var crashLooping = false;
        switch (pod.Phase)
        {
            case "Failed":
                f.Add(RayHealthStatus.Unhealthy, "Pod Failed" + (pod.PodReason is { } r ? ": " + r : "") + (pod.PodMessage is { } m ? $" ({m.Trim()})" : ""));
                break;
            case "Succeeded":
                f.Add(RayHealthStatus.Unhealthy, "Pod Succeeded: its containers exited and will not restart");
                break;
            case "Pending":
                var age = pod.Created is { } created ? " for " + AgeFormatter.Format(now - created) : "";
                f.Add(RayHealthStatus.Unhealthy, $"Pod Pending{age}: {PendingDetail(pod)}");
                break;
            case "Running":
                if (pod.Waiting is { IsInit: false } waiting)
                {
                    crashLooping = waiting.Reason == "CrashLoopBackOff";
                    f.Add(RayHealthStatus.Unhealthy, crashLooping
                        ? $"container {waiting.Container} in CrashLoopBackOff ({Times(pod.Restarts, "restart")}{LastExit(pod.LastTermination, now)})"
                        : $"container {waiting.Container} waiting: {waiting.Reason}{Paren(waiting.Message)}");
                }
                else if (!pod.Ready)
                {
                    f.Add(RayHealthStatus.Degraded, "Pod Running but not Ready" +
                        (pod.ContainersNotReady.Count > 0 ? $" (containers not ready: {string.Join(", ", pod.ContainersNotReady)})" : ""));
                }
                break;
            default:
                f.Add(RayHealthStatus.Unknown, $"Pod phase {(string.IsNullOrEmpty(pod.Phase) ? "not reported" : pod.Phase)}" +
                    (pod.NodeName is { } node ? $": the kubelet on node {node} stopped reporting" : ""));
                break;
        }

        if (!crashLooping && pod.Restarts > 0 && pod.LastTermination is { FinishedAt: { } finished } last && now - finished <= RecentWindow)
        {
            f.Add(RayHealthStatus.Degraded, $"{Describe(last)}: restarted {Times(pod.Restarts, "time")}, last at {When(finished, now)}");
        }
    }

    private static string PendingDetail(RayPodFacts pod)
    {
        var w = pod.Waiting;
        var prefix = w is { IsInit: true } ? "Init:" : "";
        if (w is not null && ImagePullReasons.Contains(w.Reason))
        {
            return $"{prefix}{w.Reason} (image '{w.Image ?? pod.Image}' cannot be pulled)";
        }
        if (w is { Reason: "InvalidImageName" })
        {
            return $"{prefix}InvalidImageName (image '{w.Image ?? pod.Image}' is not a valid image reference)";
        }
        if (w is not null && (ContainerErrorReasons.Contains(w.Reason) || w.Reason == "CrashLoopBackOff"))
        {
            return $"{prefix}{w.Reason}{Paren(w.Message)}";
        }
        if (pod.Unschedulable)
        {
            return "Unschedulable" + Paren(pod.UnschedulableMessage);
        }
        if (string.IsNullOrEmpty(pod.NodeName))
        {
            return "not scheduled to a node yet";
        }
        if (pod.InitContainers > pod.InitContainersDone)
        {
            var which = pod.InitRunning is { } running ? $" ({running} running)" : w is { IsInit: true } ? $" ({w.Container} {w.Reason})" : "";
            return $"Init:{pod.InitContainersDone}/{pod.InitContainers}{which}";
        }
        return w?.Reason ?? "waiting for its containers to start";
    }

    private static void RayletFindings(RayPodFacts pod, HealthCheckResult? raylet, bool pathBlocked, Findings f)
    {
        if (pathBlocked && raylet is { Passed: false })
        {
            f.Add(RayHealthStatus.Unknown, $"raylet not checked: the API server reached no pod of the cluster ({raylet.Detail})");
            return;
        }
        switch (raylet?.Outcome)
        {
            case null:
            case HealthCheckOutcome.Passed:
                return;
            case HealthCheckOutcome.Failed:
                f.Add(RayHealthStatus.Unhealthy, $"raylet health check failed ({raylet.Detail})");
                return;
            case HealthCheckOutcome.TimedOut:
                f.Add(RayHealthStatus.Unhealthy, $"raylet health check {raylet.Detail}");
                return;
            case HealthCheckOutcome.Unreachable:
                f.Add(RayHealthStatus.Unhealthy, $"raylet health endpoint (port {pod.AgentPort}) unreachable: {raylet.Detail}");
                return;
            case HealthCheckOutcome.Forbidden:
                f.Add(RayHealthStatus.Unknown, "raylet not checked: no permission to get pods/proxy");
                return;
            case HealthCheckOutcome.TargetGone:
                f.Add(RayHealthStatus.Unhealthy, "Pod deleted while it was being checked");
                return;
            case HealthCheckOutcome.NotChecked:
                f.Add(RayHealthStatus.Unknown, $"raylet not checked: the API server answered {raylet.StatusCode} ({raylet.Detail})");
                return;
        }
    }

    private static void GcsFindings(NodeEvidence e, Findings f)
    {
        if (e.Gcs is not { } gcs || gcs.Passed)
        {
            return;
        }
        var isHead = e.Pod?.IsHead ?? e.RayNode?.IsHead ?? false;
        if (gcs.Outcome == HealthCheckOutcome.Forbidden || e.ProxyPathBlocked)
        {
            if (isHead)
            {
                f.Add(RayHealthStatus.Unknown, e.ProxyPathBlocked
                    ? $"GCS not checked: the API server reached no pod of the cluster ({gcs.Detail})"
                    : "GCS not checked: no permission to get services/proxy");
            }
            return;
        }
        if (gcs.Outcome == HealthCheckOutcome.NotChecked)
        {
            if (isHead)
            {
                f.Add(RayHealthStatus.Unknown, $"GCS not checked: the API server answered {gcs.StatusCode} ({gcs.Detail})");
            }
            return;
        }
        if (isHead)
        {
            var what = gcs.Outcome switch
            {
                HealthCheckOutcome.TimedOut => $"GCS health check {gcs.Detail}",
                HealthCheckOutcome.Unreachable => $"GCS unreachable ({gcs.Detail})",
                _ => $"GCS unhealthy ({gcs.Detail})",
            };
            f.Add(RayHealthStatus.Unhealthy, $"head down: {what}, Ray node state unknown");
        }
        else if (e.Pod is null || e.Pod.Running)
        {
            f.Add(RayHealthStatus.Degraded, "head down: GCS unhealthy, Ray node state unknown");
        }
    }

    private static void RayStateFindings(NodeEvidence e, Findings f)
    {
        if (!e.RayStateKnown)
        {
            return;
        }
        var node = e.RayNode;
        if (e.Pod is { } pod)
        {
            if (node is null)
            {
                if (pod.Running && !pod.Terminating && e.Raylet is null or { Passed: true })
                {
                    f.Add(RayHealthStatus.Degraded, $"Pod Running but no Ray node has its IP {pod.PodIP} (not registered with Ray yet, or the raylet did not start)");
                }
            }
            else if (node.IsDead)
            {
                f.Add(RayHealthStatus.Unhealthy, "Ray reports the node DEAD" + (node.StateMessage is { Length: > 0 } m ? ": " + m : ""));
            }
            return;
        }

        if (node is null)
        {
            return;
        }
        if (node.IsAlive)
        {
            f.Add(RayHealthStatus.Unknown, $"Ray node ALIVE at {node.Ip} but no pod of the cluster has that IP");
            return;
        }
        var died = node.EndTime is { } end ? $" at {When(end, e.Now)}" : "";
        var message = node.StateMessage is { Length: > 0 } text ? ": " + text : "";
        switch (DepartureOf(node))
        {
            case Departure.Orderly:
                f.Add(RayHealthStatus.Healthy, $"left the cluster in order{died}{message}; its pod is gone");
                break;
            case Departure.Preempted:
                f.Add(RayHealthStatus.Degraded, $"Ray node DEAD{died}, its pod is gone{message}");
                break;
            default:
                f.Add(RayHealthStatus.Unhealthy, $"Ray reports the node DEAD{died} and its pod is gone{message}");
                break;
        }
    }

    /// <summary>
    /// True when no raylet probe got any answer from a pod (timeouts, unreachable network) although every probed pod
    /// is Ready, i.e. its kubelet probes pass: then the API server cannot reach the pods, and the probes say nothing
    /// about Ray. "connection refused" is an answer (the port is closed) and does not count.
    /// </summary>
    public static bool NoRayletAnswered(IReadOnlyCollection<(RayPodFacts Pod, HealthCheckResult Raylet)> probes) =>
        probes.Count > 0 && probes.All(p => p.Pod.Ready && NoAnswer(p.Raylet));

    private static bool NoAnswer(HealthCheckResult r) =>
        r.Outcome == HealthCheckOutcome.TimedOut
        || (r.Outcome == HealthCheckOutcome.Unreachable
            && (r.Detail.Contains("timeout", StringComparison.OrdinalIgnoreCase) || r.Detail.Contains("no route to host", StringComparison.OrdinalIgnoreCase)));

    /// <summary>Whether the GCS check got no answer at all (as opposed to an answer that says unhealthy).</summary>
    public static bool GotNoAnswer(HealthCheckResult gcs) => NoAnswer(gcs);

    internal enum Departure { Orderly, Preempted, Failure }

    /// <summary>How a DEAD node left, from Ray's state message (compose_state_message prefixes).</summary>
    internal static Departure DepartureOf(RayNodeRecord node)
    {
        var message = node.StateMessage ?? "";
        if (message.StartsWith("Expected termination", StringComparison.OrdinalIgnoreCase) || message.StartsWith("Terminated due to idle", StringComparison.OrdinalIgnoreCase))
        {
            return Departure.Orderly;
        }
        return message.StartsWith("Terminated due to preemption", StringComparison.OrdinalIgnoreCase) ? Departure.Preempted : Departure.Failure;
    }

    /// <summary>
    /// A pod-less DEAD node is shown by default when it died within <see cref="RecentWindow"/> (or when Ray does not
    /// say when); older ones are history that only -IncludeDeparted shows.
    /// </summary>
    public static bool IsRecentDeparture(RayNodeRecord node, DateTimeOffset now) =>
        node.EndTime is not { } end || now - end <= RecentWindow;

    /// <summary>
    /// The cluster's verdict: Unhealthy when the head is (or is missing), or when no worker is healthy; Degraded when
    /// any node is not Healthy; Unknown when nothing could be determined; else Healthy.
    /// </summary>
    public static NodeVerdict Summarize(IReadOnlyList<RayNodeHealth> nodes, string? emptyReason = null)
    {
        if (nodes.Count == 0)
        {
            return new NodeVerdict(RayHealthStatus.Unhealthy, emptyReason ?? "no pods and no Ray nodes");
        }
        var head = nodes.FirstOrDefault(n => n.NodeType == "head" && n.PodName.Length > 0);
        var workers = nodes.Where(n => n.NodeType != "head" && n.PodName.Length > 0).ToList();
        var notHealthy = nodes.Where(n => n.Status != RayHealthStatus.Healthy).ToList();
        if (head is null)
        {
            return new NodeVerdict(RayHealthStatus.Unhealthy, "head down: no head pod exists" + (notHealthy.Count > 0 ? "; " + Problems(notHealthy, nodes.Count) : ""));
        }
        if (head.Status == RayHealthStatus.Unhealthy)
        {
            return new NodeVerdict(RayHealthStatus.Unhealthy, $"head {head.PodName}: {head.Reason}");
        }
        if (workers.Count > 0 && workers.All(w => w.Status == RayHealthStatus.Unhealthy))
        {
            return new NodeVerdict(RayHealthStatus.Unhealthy, $"no worker is healthy; {Problems(notHealthy, nodes.Count)}");
        }
        if (nodes.All(n => n.Status == RayHealthStatus.Unknown))
        {
            return new NodeVerdict(RayHealthStatus.Unknown, $"nothing could be checked: {head.Reason}");
        }
        if (notHealthy.Count > 0)
        {
            return new NodeVerdict(RayHealthStatus.Degraded, Problems(notHealthy, nodes.Count));
        }
        return new NodeVerdict(RayHealthStatus.Healthy, $"all {Times(nodes.Count, "node")} healthy");
    }

    private static string Problems(IReadOnlyList<RayNodeHealth> notHealthy, int total)
    {
        const int shown = 3;
        var parts = notHealthy.Take(shown).Select(n => $"{NameOf(n)}: {n.Reason}");
        var more = notHealthy.Count > shown ? $"; and {notHealthy.Count - shown} more" : "";
        return $"{notHealthy.Count} of {total} nodes not healthy: {string.Join("; ", parts)}{more}";
    }

    private static string NameOf(RayNodeHealth n) =>
        n.PodName.Length > 0 ? n.PodName : $"Ray node {Short(n.RayNodeId)} ({n.PodIP ?? "no IP"})";

    internal static string Short(string? nodeId) => nodeId is { Length: > 12 } id ? id[..12] : nodeId ?? "?";

    private static string Describe(ContainerTermination t) => t.Reason switch
    {
        "OOMKilled" => "OOMKilled",
        "Error" => $"container {t.Container} exited with code {t.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "?"}",
        "Completed" => $"container {t.Container} exited (code 0)",
        _ => $"container {t.Container} {t.Reason}" + (t.ExitCode is { } code ? $" (exit code {code})" : ""),
    };

    private static string LastExit(ContainerTermination? t, DateTimeOffset now) =>
        t is null ? "" : $", last exit: {Describe(t)}" + (t.FinishedAt is { } at ? $" at {When(at, now)}" : "");

    private static string Paren(string? text) => string.IsNullOrWhiteSpace(text) ? "" : $" ({text.Trim()})";

    private static string Times(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    /// <summary>"2026-01-05 10:32:05Z (4m ago)": absolute for the incident log, relative for the reader.</summary>
    internal static string When(DateTimeOffset t, DateTimeOffset now) =>
        t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) + $" ({AgeFormatter.Format(now - t)} ago)";

    /// <summary>Collects causes; the worst decides the Status, and the Reason lists the worst first.</summary>
    private sealed class Findings
    {
        private readonly List<(RayHealthStatus Severity, string Text)> _items = new();

        public void Add(RayHealthStatus severity, string text) => _items.Add((severity, text));

        public NodeVerdict Verdict()
        {
            if (_items.Count == 0)
            {
                return new NodeVerdict(RayHealthStatus.Healthy, "");
            }
            var ordered = _items.OrderByDescending(i => Rank(i.Severity)).ToList();
            return new NodeVerdict(ordered[0].Severity, string.Join("; ", ordered.Select(i => i.Text)));
        }
    }

    /// <summary>Unhealthy outranks Degraded outranks Unknown outranks Healthy.</summary>
    internal static int Rank(RayHealthStatus s) => s switch
    {
        RayHealthStatus.Unhealthy => 3,
        RayHealthStatus.Degraded => 2,
        RayHealthStatus.Unknown => 1,
        _ => 0,
    };
}
