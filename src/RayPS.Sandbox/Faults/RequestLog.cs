using System.Collections.Concurrent;

namespace RayPS.Sandbox.Faults;

/// <summary>How many requests of one verb hit one resource.</summary>
public sealed record RequestCount(string Verb, string Resource, long Count);

/// <summary>
/// Thread-safe request accounting by audit verb (get, list, watch, create, update, patch, delete,
/// deletecollection) and resource ("pods", "rayclusters", "deployments/scale", or the path of a
/// non-resource request such as "/version"). Every request the server receives is counted,
/// including ones answered by injected faults or refused by authentication.
/// </summary>
public sealed class RequestLog
{
    private readonly ConcurrentDictionary<(string Verb, string Resource), long> _counts = new();

    public long Total => _counts.Values.Sum();

    public long Count(string verb, string resource) => _counts.TryGetValue((verb, resource), out var n) ? n : 0;

    /// <summary>All requests to a resource, whatever the verb.</summary>
    public long CountResource(string resource) => _counts.Where(p => p.Key.Resource == resource).Sum(p => p.Value);

    /// <summary>A point-in-time copy, ordered by resource then verb.</summary>
    public IReadOnlyList<RequestCount> Snapshot() =>
        _counts.Select(p => new RequestCount(p.Key.Verb, p.Key.Resource, p.Value))
            .OrderBy(c => c.Resource, StringComparer.Ordinal)
            .ThenBy(c => c.Verb, StringComparer.Ordinal)
            .ToList();

    public void Reset() => _counts.Clear();

    internal void Record(string verb, string resource) => _counts.AddOrUpdate((verb, resource), 1, (_, n) => n + 1);
}
