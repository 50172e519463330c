using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Cluster;

/// <summary>
/// An informer-style cache of the objects that belong to each RayCluster (keyed "namespace/cluster"),
/// fed by store events and by the operator's own writes; a change never replaces a newer version.
/// </summary>
internal sealed class ObjectCache
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _byCluster = new(StringComparer.Ordinal);

    private static long Rv(JsonObject obj) =>
        long.TryParse(ObjectMeta.ResourceVersion(obj), NumberStyles.Integer, CultureInfo.InvariantCulture, out var rv) ? rv : 0;

    public void Put(string cluster, JsonObject obj)
    {
        lock (_gate)
        {
            if (!_byCluster.TryGetValue(cluster, out var items))
            {
                items = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
                _byCluster[cluster] = items;
            }
            var name = ObjectMeta.Name(obj);
            if (items.TryGetValue(name, out var existing) && ObjectMeta.Uid(existing) == ObjectMeta.Uid(obj) && Rv(existing) > Rv(obj))
            {
                return;
            }
            items[name] = obj;
        }
    }

    public void Remove(string cluster, JsonObject obj, bool force = false)
    {
        lock (_gate)
        {
            if (_byCluster.TryGetValue(cluster, out var items) && items.TryGetValue(ObjectMeta.Name(obj), out var existing)
                && ObjectMeta.Uid(existing) == ObjectMeta.Uid(obj) && (force || Rv(existing) <= Rv(obj)))
            {
                items.Remove(ObjectMeta.Name(obj));
                if (items.Count == 0)
                {
                    _byCluster.Remove(cluster);
                }
            }
        }
    }

    public List<JsonObject> Snapshot(string cluster)
    {
        lock (_gate)
        {
            return _byCluster.TryGetValue(cluster, out var items) ? [.. items.Values] : [];
        }
    }
}
