using System.Text.RegularExpressions;

namespace RayPS.Sandbox.Faults;

/// <summary>What an injected fault does.</summary>
// ConvertTo-Json writes the name, not the number (see docs/architecture.md, "Output objects").
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum FaultKind
{
    /// <summary>Delays matching requests by <see cref="FaultRule.Latency"/> (all matching latency rules add up).</summary>
    Latency,

    /// <summary>Answers with <see cref="FaultRule.StatusCode"/> (500, 503, 429 with Retry-After, ...) instead of serving.</summary>
    Error,

    /// <summary>Closes the connection without answering.</summary>
    DropConnection,

    /// <summary>Serves a watch, then breaks the stream after some events and/or time.</summary>
    DropWatch,
}

/// <summary>
/// One fault: what it does, which requests it applies to (verb, resource, path pattern; null = any)
/// and how often (a remaining <see cref="Count"/> and/or a <see cref="Probability"/>).
/// </summary>
public sealed class FaultRule
{
    private readonly object _gate = new();
    private int _hits;
    private int? _remaining;

    public FaultRule(FaultKind kind) => Kind = kind;

    public FaultKind Kind { get; }

    /// <summary>Audit verb to match (get, list, watch, create, update, patch, delete, ...).</summary>
    public string? Verb { get; init; }

    /// <summary>Resource to match, e.g. "pods", "rayclusters" or "deployments/scale".</summary>
    public string? Resource { get; init; }

    /// <summary>Request path glob ('*' matches any run of characters), e.g. "/apis/ray.io/*".</summary>
    public string? PathPattern { get; init; }

    public TimeSpan Latency { get; init; }

    public int StatusCode { get; init; } = 500;

    /// <summary>Sent as Retry-After (seconds) and details.retryAfterSeconds; defaults to 1s for 429.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>How many times the rule fires before it is spent; null = unlimited.</summary>
    public int? Count
    {
        get => _remaining;
        init => _remaining = value;
    }

    /// <summary>Chance (0..1) that a matching request is affected.</summary>
    public double Probability { get; init; } = 1.0;

    /// <summary>For <see cref="FaultKind.DropWatch"/>: break after this many events were sent.</summary>
    public int? AfterEvents { get; init; }

    /// <summary>For <see cref="FaultKind.DropWatch"/>: break after the stream has been open this long.</summary>
    public TimeSpan? AfterTime { get; init; }

    /// <summary>How often the rule has fired.</summary>
    public int Hits => Volatile.Read(ref _hits);

    public bool Spent => _remaining is <= 0;

    internal bool Matches(string verb, string resource, string path)
    {
        if (Verb is not null && !string.Equals(Verb, verb, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (Resource is not null && !string.Equals(Resource, resource, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        return PathPattern is null || Regex.IsMatch(path, "^" + Regex.Escape(PathPattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$");
    }

    /// <summary>Decides whether the rule fires for this request, consuming one use if so.</summary>
    internal bool TryFire()
    {
        lock (_gate)
        {
            if (Spent || (Probability < 1.0 && Random.Shared.NextDouble() >= Probability))
            {
                return false;
            }
            if (_remaining is { } left)
            {
                _remaining = left - 1;
            }
            _hits++;
            return true;
        }
    }
}
