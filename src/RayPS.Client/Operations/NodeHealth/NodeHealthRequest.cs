namespace RayPS.Operations;

/// <summary>What to check and how hard to try.</summary>
public sealed class NodeHealthRequest
{
    public const int DefaultThrottleLimit = 64;
    public static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The namespace; null for every namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>The clusters to check; null for every cluster in scope (pods, Deployments or RayClusters that name one).</summary>
    public IReadOnlyList<string>? ClusterNames { get; init; }

    /// <summary>How many proxy requests (probes, GCS check, node list) run at once, across all clusters of the call.</summary>
    public int ThrottleLimit { get; init; } = DefaultThrottleLimit;

    /// <summary>Timeout of each health probe; the node list (one larger answer) gets twice as long.</summary>
    public TimeSpan ProbeTimeout { get; init; } = DefaultProbeTimeout;

    /// <summary>Also report DEAD Ray nodes whose pods are gone and that died more than an hour ago.</summary>
    public bool IncludeDeparted { get; init; }

    /// <summary>Called as proxy requests finish: (finished, total so far). Called from any thread.</summary>
    public Action<int, int>? Progress { get; init; }

    /// <summary>Called for problems that concern the whole call rather than one cluster. Called from any thread.</summary>
    public Action<string>? Warning { get; init; }

    /// <summary>The clock (tests pin it).</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;
}
