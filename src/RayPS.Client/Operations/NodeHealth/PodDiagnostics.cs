using System.Text.Json.Nodes;
using RayPS.Model;

namespace RayPS.Operations;

/// <summary>
/// Explains from pod status why pods are not ready (ImagePullBackOff, CrashLoopBackOff, unschedulable, ...), one
/// line per unhealthy pod, so a timeout says what is wrong instead of only that time ran out.
/// </summary>
public static class PodDiagnostics
{
    /// <summary>Waiting reasons that are normal progress, not problems.</summary>
    private static readonly HashSet<string> Progressing = new(StringComparer.Ordinal) { "ContainerCreating", "PodInitializing" };

    /// <summary>One sentence per pod that is not ready, in pod name order; empty when every pod is ready.</summary>
    public static IReadOnlyList<string> Explain(IEnumerable<JsonObject> pods)
    {
        var lines = new List<string>();
        foreach (var pod in pods.OrderBy(p => p.Str("metadata.name"), StringComparer.Ordinal))
        {
            if (Explain(pod) is { } line)
            {
                lines.Add(line);
            }
        }
        return lines;
    }

    /// <summary>Why this pod is not ready, or null when it is.</summary>
    public static string? Explain(JsonObject pod)
    {
        var name = pod.Str("metadata.name") ?? "(unnamed)";
        if (pod.Str("metadata.deletionTimestamp") is not null)
        {
            return $"pod {name} is terminating";
        }

        var status = pod["status"];
        var phase = status.Str("phase") ?? "Pending";
        if (phase == "Succeeded")
        {
            return $"pod {name} has exited (Succeeded)";
        }

        foreach (var (list, kind) in new[] { ("initContainerStatuses", "init container"), ("containerStatuses", "container") })
        {
            foreach (var container in status.Items(list))
            {
                var containerName = container.Str("name");
                if (container.At("state.waiting") is { } waiting && waiting.Str("reason") is { } reason && !Progressing.Contains(reason))
                {
                    return $"pod {name}: {kind} {containerName}: {reason}{Detail(waiting.Str("message"))}";
                }
                if (container.At("state.terminated") is { } terminated && (terminated.Int("exitCode") ?? 0) != 0)
                {
                    return $"pod {name}: {kind} {containerName} exited with code {terminated.Int("exitCode")} ({terminated.Str("reason") ?? "Error"}){Detail(terminated.Str("message"))}";
                }
            }
        }

        if (phase == "Failed")
        {
            return $"pod {name} failed: {status.Str("reason") ?? "Failed"}{Detail(status.Str("message"))}";
        }

        var conditions = status.Items("conditions").ToList();
        var scheduled = conditions.FirstOrDefault(c => c.Str("type") == "PodScheduled");
        if (scheduled is not null && scheduled.Str("status") == "False")
        {
            return $"pod {name} cannot be scheduled: {scheduled.Str("reason") ?? "Unschedulable"}{Detail(scheduled.Str("message"))}";
        }

        var ready = conditions.FirstOrDefault(c => c.Str("type") == "Ready");
        if (ready?.Str("status") == "True")
        {
            return null;
        }
        if (phase == "Running")
        {
            return $"pod {name} is running but not ready{Detail(ready?.Str("message"))} (check its readiness probe and logs)";
        }
        var waitingFor = status.Items("containerStatuses").Select(c => c.Str("state.waiting.reason")).FirstOrDefault(r => r is not null);
        return $"pod {name} is {phase}{(waitingFor is null ? (scheduled is null ? " (not scheduled yet)" : string.Empty) : $" ({waitingFor})")}";
    }

    private static string Detail(string? message) =>
        string.IsNullOrWhiteSpace(message) ? string.Empty : $" ({message.Trim().TrimEnd('.')})";

    internal static IEnumerable<JsonObject> Items(JsonObject list) =>
        list["items"] is JsonArray items ? items.OfType<JsonObject>() : Enumerable.Empty<JsonObject>();
}
