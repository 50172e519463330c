using System.Globalization;

namespace RayPS.Ray;

internal enum HealthCheckOutcome
{
    /// <summary>HTTP 200 with the literal body "success" (KubeRay's probes grep for it too).</summary>
    Passed,

    /// <summary>Ray answered, but not with 200 "success" (503 "Local Raylet failed", 503 from GCS, 404 on a wrong port).</summary>
    Failed,

    /// <summary>No answer within the per-probe timeout.</summary>
    TimedOut,

    /// <summary>The API server could not reach the target (no endpoints, connection refused) or the connection broke.</summary>
    Unreachable,

    /// <summary>The API server refused the proxy request: the caller lacks get on pods/proxy or services/proxy.</summary>
    Forbidden,

    /// <summary>The pod was deleted between the LIST and the probe.</summary>
    TargetGone,

    /// <summary>
    /// The API server itself failed (429 or 5xx about itself, not the target) on every attempt within the probe's
    /// budget: nothing is known about the target, which is never called unhealthy for it.
    /// </summary>
    NotChecked,
}

/// <summary>
/// One health endpoint's verdict (<c>/api/local_raylet_healthz</c> on a node's agent, <c>/api/gcs_healthz</c> on the
/// head), with the detail a person needs to act on it.
/// </summary>
internal sealed class HealthCheckResult
{
    public HealthCheckOutcome Outcome { get; init; }
    public int? StatusCode { get; init; }

    /// <summary>"503: Local Raylet failed", "timed out after 2 s", "no endpoints available for service ...".</summary>
    public string Detail { get; init; } = "";

    public bool Passed => Outcome == HealthCheckOutcome.Passed;

    public static HealthCheckResult From(RayHttpAnswer answer)
    {
        if (answer.TimedOut)
        {
            return new HealthCheckResult { Outcome = HealthCheckOutcome.TimedOut, Detail = $"timed out after {Seconds(answer.Timeout)} s" };
        }
        if (answer.TransportError is { } error)
        {
            return new HealthCheckResult { Outcome = HealthCheckOutcome.Unreachable, Detail = error };
        }
        if (answer.ApiServerStatus is { } status)
        {
            var outcome = answer.Status switch
            {
                403 => HealthCheckOutcome.Forbidden,
                404 when status.DetailsKind == "pods" => HealthCheckOutcome.TargetGone,
                429 or >= 500 when !RayPS.Kube.RetryHandler.IsAboutTarget(status.Message) => HealthCheckOutcome.NotChecked,
                _ => HealthCheckOutcome.Unreachable,
            };
            return new HealthCheckResult { Outcome = outcome, StatusCode = answer.Status, Detail = status.Message ?? $"HTTP {answer.Status}" };
        }
        if (answer.Status == 200 && answer.Body.Contains("success", StringComparison.Ordinal))
        {
            return new HealthCheckResult { Outcome = HealthCheckOutcome.Passed, StatusCode = 200, Detail = "success" };
        }
        var detail = answer.Status == 200 ? $"200 without 'success': {RayHttpAnswer.FirstLine(answer.Body)}" : answer.StatusText();
        return new HealthCheckResult { Outcome = HealthCheckOutcome.Failed, StatusCode = answer.Status, Detail = detail };
    }

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    public override string ToString() => $"{Outcome}: {Detail}";
}
