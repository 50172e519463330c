using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>
/// The resources currently served: the built-in table plus one entry per CustomResourceDefinition.
/// Readers get an immutable snapshot; CRD changes swap it atomically.
/// </summary>
internal sealed class ResourceRegistry
{
    private sealed record Snapshot(IReadOnlyList<ResourceType> Types, IReadOnlyDictionary<string, (string Uid, long Generation)> CrdVersions);

    private readonly object _writeGate = new();
    private volatile Snapshot _snapshot;

    public ResourceRegistry()
    {
        _snapshot = new Snapshot(BuiltinResources.Create().ToList(), new Dictionary<string, (string, long)>());
    }

    public IReadOnlyList<ResourceType> Types => _snapshot.Types;

    /// <summary>The type serving group/version/resource, or null (version must be served).</summary>
    public ResourceType? Find(string group, string version, string resource) =>
        _snapshot.Types.FirstOrDefault(t => t.Group == group && t.Resource == resource && t.Versions.Contains(version));

    /// <summary>Resolves an ownerReference-style apiVersion + kind.</summary>
    public ResourceType? FindByKind(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/');
        var group = slash < 0 ? "" : apiVersion[..slash];
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        return _snapshot.Types.FirstOrDefault(t => t.Group == group && t.Kind == kind && t.Versions.Contains(version));
    }

    /// <summary>Groups in discovery order: built-in groups first, then CRD groups in creation order.</summary>
    public IReadOnlyList<string> Groups()
    {
        var groups = new List<string>();
        foreach (var g in BuiltinResources.GroupOrder.Concat(_snapshot.Types.Select(t => t.Group)))
        {
            if (g.Length > 0 && !groups.Contains(g) && _snapshot.Types.Any(t => t.Group == g))
            {
                groups.Add(g);
            }
        }
        return groups;
    }

    /// <summary>Versions of a group in preference order.</summary>
    public IReadOnlyList<string> VersionsOf(string group) =>
        CustomResourceTypes.SortByPriority(_snapshot.Types.Where(t => t.Group == group).SelectMany(t => t.Versions).Distinct());

    public IEnumerable<ResourceType> InGroupVersion(string group, string version) =>
        _snapshot.Types.Where(t => t.Group == group && t.Versions.Contains(version));

    /// <summary>Starts or refreshes serving a CRD's resource.</summary>
    public void ServeCustomResource(JsonObject crd)
    {
        var name = ObjectMeta.Name(crd);
        var uid = ObjectMeta.Uid(crd);
        var generation = ObjectMeta.Generation(crd);
        lock (_writeGate)
        {
            var current = _snapshot;
            var terminating = ObjectMeta.DeletionTimestamp(crd) is not null;
            if (current.CrdVersions.TryGetValue(name, out var known) && known == (uid, generation))
            {
                var served = current.Types.FirstOrDefault(t => t.IsCustom && t.GroupResource == name);
                if (served is not null)
                {
                    served.Terminating = terminating;
                    return;
                }
            }
            var type = CustomResourceTypes.Build(crd);
            var types = current.Types.Where(t => !(t.IsCustom && t.GroupResource == name)).Append(type).ToList();
            var versions = new Dictionary<string, (string, long)>(current.CrdVersions) { [name] = (uid, generation) };
            _snapshot = new Snapshot(types, versions);
        }
    }

    public void RemoveCustomResource(JsonObject crd)
    {
        var name = ObjectMeta.Name(crd);
        lock (_writeGate)
        {
            var current = _snapshot;
            var versions = new Dictionary<string, (string, long)>(current.CrdVersions);
            versions.Remove(name);
            _snapshot = new Snapshot(current.Types.Where(t => !(t.IsCustom && t.GroupResource == name)).ToList(), versions);
        }
    }
}
