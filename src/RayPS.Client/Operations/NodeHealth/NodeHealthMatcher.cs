using RayPS.Model;
using RayPS.Ray;

namespace RayPS.Operations;

/// <summary>
/// Pairs pods with the Ray nodes GCS knows, by IP. A pod's IP can carry several Ray nodes over time: each container
/// restart registers a new node id and leaves the old one DEAD, and a deleted pod's IP may be reused by a new pod.
/// So a node belongs to a pod only if it started after the pod was created; of those, the ALIVE one wins, else the
/// latest DEAD one. Older nodes of the same pod are its past lives and are not reported separately.
/// </summary>
internal static class NodeHealthMatcher
{
    /// <summary>Clock skew allowed between the API server's creationTimestamp and Ray's start time.</summary>
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(2);

    public static NodeMatch Match(IReadOnlyList<RayPodFacts> pods, IReadOnlyList<RayNodeRecord> nodes)
    {
        var byIp = nodes.Where(n => !string.IsNullOrEmpty(n.Ip)).ToLookup(n => n.Ip!, StringComparer.Ordinal);
        var byPod = new Dictionary<RayPodFacts, RayNodeRecord>(ReferenceEqualityComparer.Instance);
        var claimed = new HashSet<RayNodeRecord>(ReferenceEqualityComparer.Instance);
        foreach (var pod in pods)
        {
            if (string.IsNullOrEmpty(pod.PodIP))
            {
                continue;
            }
            var candidates = byIp[pod.PodIP].Where(n => BelongsTo(n, pod)).ToList();
            if (candidates.Count == 0)
            {
                continue;
            }
            claimed.UnionWith(candidates);
            byPod[pod] = candidates
                .OrderByDescending(n => n.IsAlive)
                .ThenByDescending(n => n.StartTime ?? DateTimeOffset.MinValue)
                .First();
        }
        var unmatched = nodes.Where(n => !claimed.Contains(n)).ToList();
        return new NodeMatch(byPod, unmatched);
    }

    private static bool BelongsTo(RayNodeRecord node, RayPodFacts pod) =>
        node.StartTime is not { } started || pod.Created is not { } created || started >= created - Skew;
}

/// <summary>The Ray node of each pod that has one, and the Ray nodes no pod has (their pods were removed).</summary>
internal sealed record NodeMatch(IReadOnlyDictionary<RayPodFacts, RayNodeRecord> ByPod, IReadOnlyList<RayNodeRecord> Unmatched);
