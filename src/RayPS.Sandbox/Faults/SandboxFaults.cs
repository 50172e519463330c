namespace RayPS.Sandbox.Faults;

/// <summary>
/// Fault injection for a sandbox: latency, error answers, dropped connections and broken watch
/// streams, scoped by verb/resource/path and limited by count or probability. Thread-safe; rules
/// can be added and cleared while the server runs.
/// </summary>
public sealed class SandboxFaults
{
    private readonly object _gate = new();
    private List<FaultRule> _rules = [];

    public IReadOnlyList<FaultRule> Rules
    {
        get
        {
            lock (_gate)
            {
                return _rules.ToList();
            }
        }
    }

    /// <summary>Adds a rule; throws ArgumentException when its verb and resource can never match a request.</summary>
    public FaultRule Add(FaultRule rule)
    {
        FaultRule.CheckPair(rule.Verb, rule.Resource);
        lock (_gate)
        {
            _rules = [.. _rules, rule];
        }
        return rule;
    }

    public bool Remove(FaultRule rule)
    {
        lock (_gate)
        {
            var before = _rules.Count;
            _rules = _rules.Where(r => !ReferenceEquals(r, rule)).ToList();
            return _rules.Count != before;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _rules = [];
        }
    }

    public FaultRule AddLatency(TimeSpan delay, string? verb = null, string? resource = null, string? pathPattern = null, int? count = null) =>
        Add(new FaultRule(FaultKind.Latency) { Latency = delay, Verb = verb, Resource = FaultRule.CheckPair(verb, resource), PathPattern = pathPattern, Count = count });

    public FaultRule AddError(int statusCode, int? count = null, double probability = 1.0, string? verb = null, string? resource = null,
        string? pathPattern = null, TimeSpan? retryAfter = null) =>
        Add(new FaultRule(FaultKind.Error)
        {
            StatusCode = statusCode,
            Count = count,
            Probability = probability,
            Verb = verb,
            Resource = FaultRule.CheckPair(verb, resource),
            PathPattern = pathPattern,
            RetryAfter = retryAfter,
        });

    public FaultRule DropConnections(int? count = null, double probability = 1.0, string? verb = null, string? resource = null, string? pathPattern = null) =>
        Add(new FaultRule(FaultKind.DropConnection) { Count = count, Probability = probability, Verb = verb, Resource = FaultRule.CheckPair(verb, resource), PathPattern = pathPattern });

    public FaultRule DropWatchAfter(int? events = null, TimeSpan? after = null, string? resource = null, int? count = null) =>
        Add(new FaultRule(FaultKind.DropWatch) { AfterEvents = events, AfterTime = after, Resource = FaultRule.CheckPair("watch", resource), Verb = "watch", Count = count });

    /// <summary>The faults that apply to one request.</summary>
    internal FaultDecision Evaluate(string verb, string resource, string path)
    {
        List<FaultRule> rules;
        lock (_gate)
        {
            rules = _rules;
        }
        var delay = TimeSpan.Zero;
        FaultRule? terminal = null;
        FaultRule? watchDrop = null;
        foreach (var rule in rules)
        {
            if (!rule.Matches(verb, resource, path))
            {
                continue;
            }
            switch (rule.Kind)
            {
                case FaultKind.Latency when rule.TryFire():
                    delay += rule.Latency;
                    break;
                case FaultKind.Error or FaultKind.DropConnection when terminal is null && rule.TryFire():
                    terminal = rule;
                    break;
                case FaultKind.DropWatch when watchDrop is null && verb == "watch" && rule.TryFire():
                    watchDrop = rule;
                    break;
            }
        }
        return new FaultDecision(delay, terminal, watchDrop);
    }
}

/// <summary>The outcome of evaluating faults for a request.</summary>
internal sealed record FaultDecision(TimeSpan Delay, FaultRule? Terminal, FaultRule? WatchDrop);
