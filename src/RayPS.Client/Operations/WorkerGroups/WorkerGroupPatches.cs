using System.Text.Json.Nodes;
using RayPS.Model;

namespace RayPS.Operations;

/// <summary>
/// The JSON patches (RFC 6902) that change worker groups without ever overwriting a concurrent change: each one
/// `test`s exactly what the change was computed from, so the API server applies all of it or none of it.
/// A failed test is a 422 with an empty Status (golden 31); the caller re-reads and tries again.
/// </summary>
public static class WorkerGroupPatches
{
    /// <summary>
    /// Scales the group at <paramref name="index"/>: tests its groupName (the group did not move) and the bounds
    /// the new value was checked against, then sets replicas (and min/max when <paramref name="newMin"/>/
    /// <paramref name="newMax"/> differ from the group's). `add` rather than `replace`: it also works when a
    /// field is absent. Pods to remove go into scaleStrategy.workersToDelete in the same patch: an existing list is
    /// tested as read and rewritten without the names of pods that are gone (<paramref name="livePods"/>; a stale name
    /// would make KubeRay delete a later pod of that name) plus the new ones; a missing list is created under a test of
    /// the spec's generation. Pod names are DNS names, so testing them does not depend on how strings are escaped.
    /// <paramref name="pinGeneration"/> also tests the spec's <paramref name="generation"/> (for a group read some time before).
    /// </summary>
    public static JsonArray Scale(int index, JsonNode group, int replicas, int? newMin = null, int? newMax = null,
        IReadOnlyList<string>? workersToDelete = null, long? generation = null, bool pinGeneration = false,
        IReadOnlyCollection<string>? livePods = null)
    {
        var at = $"/spec/workerGroupSpecs/{index}";
        var patch = new JsonArray { Op("test", at + "/groupName", group["groupName"]?.DeepClone()) };
        var testGeneration = pinGeneration;
        if (group["minReplicas"] is JsonValue min)
        {
            patch.Add(Op("test", at + "/minReplicas", min.DeepClone()));
        }
        if (group["maxReplicas"] is JsonValue max)
        {
            patch.Add(Op("test", at + "/maxReplicas", max.DeepClone()));
        }
        if (newMin is { } nm && nm != group.Int("minReplicas"))
        {
            patch.Add(Op("add", at + "/minReplicas", nm));
        }
        if (newMax is { } nx && nx != group.Int("maxReplicas"))
        {
            patch.Add(Op("add", at + "/maxReplicas", nx));
        }
        patch.Add(Op("add", at + "/replicas", replicas));

        if (workersToDelete is { Count: > 0 })
        {
            if (group["scaleStrategy"]?["workersToDelete"] is JsonArray existing)
            {
                var kept = existing.Select(n => n is JsonValue v && v.TryGetValue<string>(out var name) ? name : null)
                    .Where(name => name is not null && (livePods is null || livePods.Contains(name)))
                    .Select(name => name!);
                patch.Add(Op("test", at + "/scaleStrategy/workersToDelete", existing.DeepClone()));
                patch.Add(Op("add", at + "/scaleStrategy/workersToDelete", NameList(kept.Concat(workersToDelete))));
            }
            else
            {
                // Creating the list could overwrite one created concurrently; the spec's generation pins it.
                testGeneration = true;
                var list = NameList(workersToDelete);
                patch.Add(group["scaleStrategy"] is JsonObject
                    ? Op("add", at + "/scaleStrategy/workersToDelete", list)
                    : Op("add", at + "/scaleStrategy", new JsonObject { ["workersToDelete"] = list }));
            }
        }
        if (testGeneration && generation is { } pinned)
        {
            patch.Insert(0, Op("test", "/metadata/generation", pinned));
        }
        return patch;
    }

    /// <summary>
    /// Takes <paramref name="names"/> out of the group's scaleStrategy.workersToDelete once those pods are gone (KubeRay
    /// leaves them there): tests the group's name and the list as read, then writes the rest. Null when none is listed.
    /// </summary>
    public static JsonArray? ClearWorkersToDelete(int index, JsonNode group, IReadOnlyCollection<string> names)
    {
        if (group["scaleStrategy"]?["workersToDelete"] is not JsonArray existing
            || !existing.Any(n => n is JsonValue v && v.TryGetValue<string>(out var name) && names.Contains(name)))
        {
            return null;
        }
        var at = $"/spec/workerGroupSpecs/{index}";
        var rest = existing.Select(n => n is JsonValue v && v.TryGetValue<string>(out var name) ? name : null)
            .Where(name => name is not null && !names.Contains(name)).Select(name => name!);
        return new JsonArray
        {
            Op("test", at + "/groupName", group["groupName"]?.DeepClone()),
            Op("test", at + "/scaleStrategy/workersToDelete", existing.DeepClone()),
            Op("add", at + "/scaleStrategy/workersToDelete", NameList(rest)),
        };
    }

    /// <summary>
    /// Removes the group at <paramref name="index"/> after testing that it is still the group named
    /// <paramref name="groupName"/>, so a concurrent change that moved the groups can never remove another one.
    /// </summary>
    public static JsonArray RemoveGroup(int index, string groupName) => new()
    {
        Op("test", $"/spec/workerGroupSpecs/{index}/groupName", groupName),
        Op("remove", $"/spec/workerGroupSpecs/{index}", null),
    };

    private static JsonArray NameList(IEnumerable<string> names) =>
        new(names.Distinct(StringComparer.Ordinal).Select(p => (JsonNode?)JsonValue.Create(p)).ToArray());

    /// <summary>
    /// Sets a Deployment's replicas after testing its ray.io/cluster and ray.io/group labels, so the patch can only
    /// change that group's Deployment, whatever else carries its name.
    /// </summary>
    public static JsonArray ScaleDeployment(string clusterName, string groupName, int replicas) => new()
    {
        Op("test", "/metadata/labels/" + PointerToken(KubeRayNames.ClusterLabel), clusterName),
        Op("test", "/metadata/labels/" + PointerToken(KubeRayNames.GroupLabel), groupName),
        Op("replace", "/spec/replicas", replicas),
    };

    /// <summary>A key as one JSON pointer token (RFC 6901: '~' is ~0, '/' is ~1).</summary>
    private static string PointerToken(string key) => key.Replace("~", "~0").Replace("/", "~1");

    /// <summary>
    /// Appends a worker group as one patch that cannot clobber or duplicate: it tests the RayCluster's
    /// metadata.generation (an integer the API server bumps on every spec change and only then), so a group appended
    /// meanwhile, perhaps with the same name, fails the test and the caller re-reads. Testing the whole array instead
    /// would compare every string in it by its JSON text as Go writes it (golden 83), which is brittle; an integer's
    /// text is unambiguous. The resourceVersion pins the object only if a server ever returns no generation.
    /// </summary>
    public static JsonArray AddGroup(JsonNode cluster, JsonObject group)
    {
        var guard = cluster["metadata"]?["generation"] is JsonValue generation
            ? Op("test", "/metadata/generation", generation.DeepClone())
            : Op("test", "/metadata/resourceVersion", cluster["metadata"]?["resourceVersion"]?.DeepClone());
        return cluster["spec"]?["workerGroupSpecs"] is JsonArray
            ? new JsonArray { guard, Op("add", "/spec/workerGroupSpecs/-", group.DeepClone()) }
            : new JsonArray { guard, Op("add", "/spec/workerGroupSpecs", new JsonArray(group.DeepClone())) };
    }

    /// <summary>
    /// Which pods to name in workersToDelete so that <paramref name="target"/> remain, the way the Ray autoscaler picks
    /// them: pods not running and ready first (they do no work), then Ray nodes that are idle (no running tasks or actors),
    /// then nodes whose activity is unknown, busy nodes last; within each, the newest first (least likely to hold state),
    /// then by name for a stable choice. Pods already listed or terminating are not counted as remaining.
    /// </summary>
    internal static IReadOnlyList<string> SelectWorkersToDelete(IEnumerable<RayPodFacts> groupPods, IEnumerable<string> alreadyListed, int target,
        Func<RayPodFacts, RayNodeActivity>? activity = null)
    {
        var listed = new HashSet<string>(alreadyListed, StringComparer.Ordinal);
        var remaining = groupPods.Where(p => !p.Terminating && !listed.Contains(p.Name)).ToList();
        var excess = remaining.Count - target;
        if (excess <= 0)
        {
            return Array.Empty<string>();
        }
        return remaining
            .OrderBy(p => !(p.Running && p.Ready) ? 0 : (activity?.Invoke(p) ?? RayNodeActivity.Unknown) switch
            {
                RayNodeActivity.Idle => 1,
                RayNodeActivity.Unknown => 2,
                _ => 3,
            })
            .ThenByDescending(p => p.Created ?? DateTimeOffset.MaxValue)
            .ThenBy(p => p.Name, StringComparer.Ordinal)
            .Take(excess)
            .Select(p => p.Name)
            .ToList();
    }

    private static JsonObject Op(string op, string path, JsonNode? value) => new()
    {
        ["op"] = op,
        ["path"] = path,
        ["value"] = value,
    };
}
