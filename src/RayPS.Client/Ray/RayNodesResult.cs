namespace RayPS.Ray;

/// <summary>
/// The answer of the head's node list: the nodes, or why they are unknown (the dashboard is down, needs a token,
/// the state API failed). <see cref="Known"/> is false whenever the list cannot be trusted.
/// </summary>
internal sealed class RayNodesResult
{
    public bool Known { get; init; }
    public IReadOnlyList<RayNodeRecord> Nodes { get; init; } = Array.Empty<RayNodeRecord>();

    /// <summary>Why the list is unknown, in plain words; null when known.</summary>
    public string? Problem { get; init; }

    /// <summary>The API server refused the service proxy request (RBAC).</summary>
    public bool Forbidden { get; init; }

    /// <summary>Ray answered 404 for the route: the endpoint does not exist on this Ray version (try the other one).</summary>
    public bool RouteMissing { get; init; }

    public static RayNodesResult Unknown(string problem, bool forbidden = false, bool routeMissing = false) =>
        new() { Known = false, Problem = problem, Forbidden = forbidden, RouteMissing = routeMissing };

    /// <summary>Reads /api/v0/nodes (<paramref name="summaryView"/> false) or /nodes?view=summary (true).</summary>
    public static RayNodesResult Read(RayHttpAnswer answer, bool summaryView)
    {
        var what = summaryView ? "the dashboard's node summary" : "the Ray state API (/api/v0/nodes)";
        if (answer.TimedOut)
        {
            return Unknown($"{what} did not answer within {HealthCheckResult.Seconds(answer.Timeout)} s");
        }
        if (answer.TransportError is { } error)
        {
            return Unknown($"{what} is unreachable: {error}");
        }
        if (answer.ApiServerStatus is { } status)
        {
            return Unknown($"{what} is unreachable: {status.Message ?? "HTTP " + answer.Status}", forbidden: answer.Status == 403);
        }
        if (answer.Status is 401 or 403)
        {
            return Unknown($"{what} refused the request ({answer.StatusText()}): the cluster uses Ray token authentication, which RayPS does not send");
        }
        if (answer.Status == 404)
        {
            return Unknown($"{what} does not exist on this Ray version ({answer.StatusText()})", routeMissing: true);
        }
        if (!RayEnvelope.TryParse(answer.Body, out var envelope))
        {
            return Unknown($"{what} answered {answer.StatusText()}, not a dashboard envelope");
        }
        if (!answer.IsSuccess || !envelope.Result || envelope.Data is null)
        {
            var message = envelope.Message.Length > 0 ? envelope.Message : RayHttpAnswer.FirstLine(answer.Body);
            return Unknown($"{what} failed ({answer.Status}: {message})");
        }
        var nodes = summaryView ? RayNodesParser.FromNodeSummary(envelope.Data) : RayNodesParser.FromStateApi(envelope.Data);
        return new RayNodesResult { Known = true, Nodes = nodes };
    }
}
