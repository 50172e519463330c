using System.Text.Json.Nodes;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Net;

/// <summary>
/// Pods as the proxy routes to them, read from the store once per store revision. A read from the store copies the
/// whole object and puts its keys in output order, and a health check of a 1000-node cluster proxies 1000 requests:
/// while the store's resourceVersion has not moved, no object has changed, so the copy read for the first request to
/// a pod serves the next ones too. Readers get the pod only inside <see cref="Read{T}"/>, one at a time, and never
/// keep it (a JsonObject is not safe for concurrent readers).
/// </summary>
internal sealed class StoredPodCache(ObjectStore store)
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Namespace, string Name), JsonObject> _pods = new();
    private long _revision = -1;

    /// <summary>Runs <paramref name="read"/> on the pod as stored now; 404 (ApiException) when it does not exist.</summary>
    public T Read<T>(string @namespace, string name, Func<JsonObject, T> read)
    {
        // Read before the store: an entry is served only while the store is still at (or was before) its read.
        var revision = store.ResourceVersion;
        lock (_gate)
        {
            if (revision != _revision)
            {
                _pods.Clear();
                _revision = revision;
            }
            else if (_pods.TryGetValue((@namespace, name), out var cached))
            {
                return read(cached);
            }
        }
        var pod = store.Get(Gvr.Pods, @namespace, name);
        lock (_gate)
        {
            if (revision == _revision)
            {
                _pods[(@namespace, name)] = pod;
            }
            return read(pod);
        }
    }
}
