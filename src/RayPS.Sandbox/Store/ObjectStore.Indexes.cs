using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Store;

public sealed partial class ObjectStore
{
    /// <summary>Where an object is stored: enough to find it again under the lock.</summary>
    private readonly record struct ObjectLocation(string StorageKey, string? Namespace, string Name);

    private readonly Dictionary<string, ObjectLocation> _byUid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<ObjectLocation>> _dependentsByOwnerUid = new(StringComparer.Ordinal);

    /// <summary>Keeps the uid and owner indexes in step with a commit (<paramref name="after"/> null = removed).</summary>
    private void Index(ResourceType type, JsonObject? before, JsonObject? after)
    {
        var current = after ?? before;
        if (current is null)
        {
            return;
        }
        var location = new ObjectLocation(type.StorageKey, BucketNamespace(type, ObjectMeta.Namespace(current)), ObjectMeta.Name(current));
        var uid = ObjectMeta.Uid(current);
        if (after is null)
        {
            _byUid.Remove(uid);
        }
        else if (uid.Length > 0)
        {
            _byUid[uid] = location;
        }
        var ownersBefore = before is null ? [] : OwnerUids(before);
        var ownersAfter = after is null ? [] : OwnerUids(after);
        foreach (var owner in ownersBefore.Except(ownersAfter))
        {
            if (_dependentsByOwnerUid.TryGetValue(owner, out var dependents) && dependents.Remove(location) && dependents.Count == 0)
            {
                _dependentsByOwnerUid.Remove(owner);
            }
        }
        foreach (var owner in ownersAfter.Except(ownersBefore))
        {
            if (!_dependentsByOwnerUid.TryGetValue(owner, out var dependents))
            {
                dependents = [];
                _dependentsByOwnerUid[owner] = dependents;
            }
            dependents.Add(location);
        }
    }

    private static HashSet<string> OwnerUids(JsonObject obj)
    {
        var uids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reference in ObjectMeta.OwnerReferences(obj))
        {
            if (JsonNodes.GetString(reference["uid"]) is { Length: > 0 } uid)
            {
                uids.Add(uid);
            }
        }
        return uids;
    }

    private (ResourceType Type, JsonObject Object)? Locate(ObjectLocation location)
    {
        var type = Registry.Types.FirstOrDefault(t => t.StorageKey == location.StorageKey);
        if (type is null || !_data.TryGetValue(location.StorageKey, out var bucket) || bucket.Find(location.Namespace, location.Name) is not { } stored)
        {
            return null;
        }
        return (type, ToVersion(type, stored.Object, type.StorageVersion));
    }

    /// <summary>A copy of the object with this uid (any resource), or null.</summary>
    internal (ResourceType Type, JsonObject Object)? FindByUid(string uid)
    {
        lock (_gate)
        {
            return _byUid.TryGetValue(uid, out var location) ? Locate(location) : null;
        }
    }

    /// <summary>Copies of the objects whose ownerReferences name <paramref name="ownerUid"/>.</summary>
    internal List<(ResourceType Type, JsonObject Object)> FindDependents(string ownerUid)
    {
        lock (_gate)
        {
            var result = new List<(ResourceType, JsonObject)>();
            if (_dependentsByOwnerUid.TryGetValue(ownerUid, out var dependents))
            {
                foreach (var location in dependents)
                {
                    if (Locate(location) is { } found)
                    {
                        result.Add(found);
                    }
                }
            }
            return result;
        }
    }

    /// <summary>The objects of every namespaced resource in <paramref name="ns"/>: type, name and whether deletion has begun.</summary>
    internal List<(ResourceType Type, string Name, bool Deleting)> NamespaceContent(string ns)
    {
        lock (_gate)
        {
            var result = new List<(ResourceType, string, bool)>();
            foreach (var type in Registry.Types.Where(t => t.Namespaced))
            {
                if (_data.TryGetValue(type.StorageKey, out var bucket))
                {
                    foreach (var stored in bucket.InNamespace(ns))
                    {
                        result.Add((type, ObjectMeta.Name(stored.Object), ObjectMeta.DeletionTimestamp(stored.Object) is not null));
                    }
                }
            }
            return result;
        }
    }

    /// <summary>Whether any namespaced resource still has an object in <paramref name="ns"/>.</summary>
    internal bool NamespaceHasContent(string ns)
    {
        lock (_gate)
        {
            return Registry.Types.Any(t => t.Namespaced && _data.TryGetValue(t.StorageKey, out var bucket) && bucket.InNamespace(ns).Count > 0);
        }
    }
}
