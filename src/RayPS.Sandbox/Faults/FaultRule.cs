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
        if (Verb is not null && !VerbMatches(verb, resource))
        {
            return false;
        }
        if (Resource is not null && !ResourceMatches(resource))
        {
            return false;
        }
        return PathPattern is null || Regex.IsMatch(path, "^" + Regex.Escape(PathPattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$");
    }

    /// <summary>
    /// "proxy" and "portforward" are not audit verbs: the server records a proxied GET as get pods/proxy and a
    /// port-forward as get (or create) pods/portforward. As fault verbs they mean "any request to that subresource".
    /// </summary>
    private bool VerbMatches(string verb, string resource) => Verb!.ToLowerInvariant() switch
    {
        "proxy" => resource.EndsWith("/proxy", StringComparison.OrdinalIgnoreCase),
        "portforward" => resource.EndsWith("/portforward", StringComparison.OrdinalIgnoreCase),
        var v => string.Equals(v, verb, StringComparison.OrdinalIgnoreCase),
    };

    private bool ResourceMatches(string resource) =>
        Resource!.StartsWith("*/", StringComparison.Ordinal)
            ? resource.EndsWith(Resource[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(Resource, resource, StringComparison.OrdinalIgnoreCase);

    private static readonly string[] Verbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "proxy", "portforward"];
    private static readonly string[] Subresources = ["status", "scale", "proxy", "portforward", "log", "exec", "attach", "eviction", "binding", "ephemeralcontainers", "resize", "approval", "finalize", "token"];
    private static readonly string[] Proxied = ["pods", "services", "nodes"];

    /// <summary>
    /// Checks that a verb/resource pair can ever match a request and returns the resource to match ("pods" with verb
    /// proxy becomes "pods/proxy"); throws ArgumentException, saying what would match, for a pair that never can.
    /// </summary>
    public static string? CheckPair(string? verb, string? resource)
    {
        verb = verb?.Trim().ToLowerInvariant();
        resource = string.IsNullOrWhiteSpace(resource) ? null : resource.Trim().ToLowerInvariant();
        if (resource == "*/proxy" && verb == "proxy")
        {
            return resource;
        }
        if (verb is not null && !Verbs.Contains(verb))
        {
            throw new ArgumentException($"The fault verb '{verb}' never matches a request: use one of {string.Join(", ", Verbs)}.");
        }
        var parts = resource?.Split('/') ?? [];
        if (resource is not null && (parts.Length > 2 || parts.Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))))
        {
            throw new ArgumentException($"The fault resource '{resource}' is not a resource name: use a plural resource (pods, rayclusters, deployments) or resource/subresource (pods/proxy, deployments/scale).");
        }
        var subresource = parts.Length == 2 ? parts[1] : null;
        if (subresource is not null && !Subresources.Contains(subresource))
        {
            throw new ArgumentException($"The fault resource '{resource}' names the subresource '{subresource}', which the API server does not serve: use one of {string.Join(", ", Subresources)}.");
        }
        switch (verb)
        {
            case "proxy":
                if (resource is null) return "*/proxy";
                if (Proxied.Contains(parts[0]) && subresource is null or "proxy") return parts[0] + "/proxy";
                throw new ArgumentException($"-Verb proxy never matches resource '{resource}': only pods, services and nodes are proxied (use -Resource pods/proxy or services/proxy).");
            case "portforward":
                if (resource is null || (parts[0] == "pods" && subresource is null or "portforward")) return "pods/portforward";
                throw new ArgumentException($"-Verb portforward never matches resource '{resource}': only pods are port-forwarded (use -Resource pods, or leave it out).");
            case "list" or "watch" or "deletecollection" when subresource is not null:
                throw new ArgumentException($"-Verb {verb} never matches resource '{resource}': subresources are never listed or watched. Use -Resource {parts[0]}.");
            case not null when subresource is "portforward" && verb is not ("get" or "create"):
                throw new ArgumentException($"-Verb {verb} never matches '{resource}': a port-forward is recorded as get (WebSocket) or create (SPDY). Use -Verb portforward.");
            case not null when subresource is "scale" or "status" && verb is "create" or "delete":
                throw new ArgumentException($"-Verb {verb} never matches '{resource}': the {subresource} subresource is only read, updated or patched.");
        }
        return resource;
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
