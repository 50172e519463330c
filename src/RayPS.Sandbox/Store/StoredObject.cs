using System.Text;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Store;

/// <summary>
/// One committed version of an object: its canonical storage form (storage apiVersion, output key order) and that form's
/// JSON, exactly as a response writes it. Never mutated once committed, so readers may use it without the store lock.
/// A version kept only in the watch history holds just its JSON and is decoded when a replay or a snapshot needs it.
/// </summary>
internal sealed class StoredObject
{
    private JsonObject? _object;

    /// <summary>
    /// A version being committed: <paramref name="obj"/> is serialised now (through <paramref name="scratch"/>, which the
    /// caller owns and reuses) and must not change afterwards.
    /// </summary>
    public StoredObject(string key, JsonObject obj, StringBuilder scratch)
    {
        Key = key;
        _object = obj;
        Json = Serialize(obj, scratch);
    }

    /// <summary>A version known only by its JSON (from the watch history).</summary>
    public StoredObject(string key, byte[] json)
    {
        Key = key;
        Json = json;
    }

    /// <summary>"namespace/name", or "name" for cluster-scoped objects: the order of lists.</summary>
    public string Key { get; }

    /// <summary>The object's JSON with a trailing newline (a GET's body as is).</summary>
    public byte[] Json { get; }

    /// <summary>What <see cref="JsonText.SerializeToUtf8"/> returns, without its intermediate string.</summary>
    private static byte[] Serialize(JsonObject obj, StringBuilder scratch)
    {
        scratch.Clear();
        JsonText.Write(scratch, obj);
        scratch.Append('\n');
        var encoder = Encoding.UTF8.GetEncoder();
        var length = 0;
        foreach (var chunk in scratch.GetChunks())
        {
            length += encoder.GetByteCount(chunk.Span, flush: false);
        }
        encoder.Reset();
        var json = new byte[length];
        var at = 0;
        foreach (var chunk in scratch.GetChunks())
        {
            // A surrogate pair split between chunks is carried over by the encoder.
            at += encoder.GetBytes(chunk.Span, json.AsSpan(at), flush: false);
        }
        scratch.Clear();
        return json;
    }

    public JsonObject Object
    {
        get
        {
            if (_object is null)
            {
                // Two readers may decode at once; either result is the same immutable object.
                Interlocked.CompareExchange(ref _object, (JsonObject)JsonText.Parse(Json)!, null);
            }
            return _object;
        }
    }
}

/// <summary>
/// The stored objects of one resource, grouped by namespace: a namespaced list or a namespace's deletion reads only its
/// own group. Iterating groups ("namespace/") and then names, both in ordinal order, yields keys in the ordinal order of
/// "namespace/name", because a namespace name never contains '/'.
/// </summary>
internal sealed class ResourceBucket
{
    private static readonly SortedDictionary<string, StoredObject> Empty = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, SortedDictionary<string, StoredObject>> _groups = new(StringComparer.Ordinal);

    public int Count { get; private set; }

    public StoredObject? Find(string? ns, string name) =>
        _groups.TryGetValue(Group(ns), out var names) ? names.GetValueOrDefault(name) : null;

    public void Set(string? ns, string name, StoredObject stored)
    {
        var group = Group(ns);
        if (!_groups.TryGetValue(group, out var names))
        {
            names = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
            _groups[group] = names;
        }
        var before = names.Count;
        names[name] = stored;
        Count += names.Count - before;
    }

    public void Remove(string? ns, string name)
    {
        var group = Group(ns);
        if (_groups.TryGetValue(group, out var names) && names.Remove(name))
        {
            Count--;
            if (names.Count == 0)
            {
                _groups.Remove(group);
            }
        }
    }

    /// <summary>Every object, in key order.</summary>
    public IEnumerable<StoredObject> All() => _groups.Values.SelectMany(names => names.Values);

    /// <summary>The objects of one namespace, in key order.</summary>
    public IReadOnlyCollection<StoredObject> InNamespace(string ns) => (_groups.GetValueOrDefault(Group(ns)) ?? Empty).Values;

    // Cluster-scoped objects (no namespace) share the group "".
    private static string Group(string? ns) => ns is null ? "" : ns + "/";
}
