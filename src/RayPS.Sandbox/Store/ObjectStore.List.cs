using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Store;

public sealed partial class ObjectStore
{
    private const string ExpiredList = "The resourceVersion for the provided list is too old.";

    private const string InconsistentContinue = "The provided continue parameter is too old to display a consistent list result. " +
        "You can start a new list without the continue parameter, or use the continue token in this response to retrieve the " +
        "remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were " +
        "created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

    /// <summary>
    /// Lists objects as a <c>KindList</c> object; <paramref name="ns"/> null = all namespaces. Pages (limit/continue) and
    /// resourceVersionMatch=Exact read a consistent snapshot rebuilt from the event history; a snapshot older than the
    /// history is gone (410), like a compacted etcd revision.
    /// </summary>
    public JsonObject List(Gvr gvr, string? ns, ListOptions? options = null) => ListStored(gvr, ns, options ?? new ListOptions()).ToJson();

    /// <summary>
    /// The page a list returns, as committed versions. Only taking them is done under the store lock: the versions are
    /// immutable, so matching selectors and writing the answer happen outside it and never hold up writers.
    /// </summary>
    internal StoredList ListStored(Gvr gvr, string? ns, ListOptions options)
    {
        var type = Resolve(gvr);
        var labels = ParseLabelSelector(options.LabelSelector);
        var fields = ParseFieldSelector(type, options.FieldSelector);
        var prefix = type.Namespaced && ns is not null ? ns + "/" : "";
        List<StoredObject> candidates;
        long listRv;
        string? after;
        lock (_gate)
        {
            if (type.StorageKey == EventsStorageKey)
            {
                ExpireEventsLocked();
            }
            (var at, after) = ListPosition(options);
            candidates = (at is { } rv ? SnapshotLocked(type, ns, rv, options.Continue is not null ? after : null, prefix) : null)
                ?? [.. Scan(type, ns)];
            listRv = at ?? _resourceVersion;
        }
        var all = labels.IsEmpty && fields.IsEmpty ? candidates : candidates.Where(s => Matches(type, s.Object, labels, fields)).ToList();
        var start = after is null ? 0 : all.FindIndex(s => string.CompareOrdinal(s.Key, prefix + after) >= 0);
        if (start < 0)
        {
            start = all.Count;
        }
        var count = options.Limit is > 0 ? (int)Math.Min(options.Limit.Value, all.Count - start) : all.Count - start;
        string? next = null;
        long? remaining = null;
        if (start + count < all.Count)
        {
            next = ContinueToken.Encode(all[start + count - 1].Key[prefix.Length..] + "\u0000", listRv);
            // Counting is only exact without selectors, so the apiserver leaves it out otherwise.
            if (labels.IsEmpty && fields.IsEmpty)
            {
                remaining = all.Count - start - count;
            }
        }
        return new StoredList(type, gvr.Version, listRv, all.GetRange(start, count), next, remaining);
    }

    /// <summary>True when the store has reached <paramref name="resourceVersion"/>, waiting up to <paramref name="timeout"/>
    /// as the watch cache does before answering "Too large resource version".</summary>
    public async Task<bool> WaitForResourceVersionAsync(long resourceVersion, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (ResourceVersion < resourceVersion)
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }
            await Task.Delay(25, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>A requested minimum resourceVersion the store has not reached: 504 with the apiserver's cause.</summary>
    private void RequireResourceVersionLocked(long resourceVersion)
    {
        if (resourceVersion > _resourceVersion)
        {
            throw ApiErrors.TooLargeResourceVersion(resourceVersion, _resourceVersion);
        }
    }

    /// <summary>Parses a resourceVersion parameter like the storage layer (400 when it is not a number).</summary>
    internal static long ParseResourceVersion(string text)
    {
        if (text is "" or "0")
        {
            return 0;
        }
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rv) && rv <= long.MaxValue)
        {
            return (long)rv;
        }
        var why = text.Length > 0 && text.All(char.IsAsciiDigit) ? "value out of range" : "invalid syntax";
        throw ApiErrors.BadRequest(
            $"invalid resource version: resourceVersion: Invalid value: {JsonNodes.Quote(text)}: strconv.ParseUint: parsing {JsonNodes.Quote(text)}: {why}");
    }

    /// <summary>The snapshot a list reads (null = now) and the key to start after, from continue/resourceVersion/resourceVersionMatch.</summary>
    private (long? At, string? After) ListPosition(ListOptions options)
    {
        if (!string.IsNullOrEmpty(options.Continue))
        {
            var (start, tokenRv) = ContinueToken.Decode(options.Continue);
            if (!string.IsNullOrEmpty(options.ResourceVersion) && options.ResourceVersion != "0")
            {
                throw ApiErrors.BadRequest("specifying resource version is not allowed when using continue");
            }
            return (tokenRv > 0 ? tokenRv : null, start);
        }
        if (string.IsNullOrEmpty(options.ResourceVersion))
        {
            return (null, null);
        }
        var rv = ParseResourceVersion(options.ResourceVersion);
        RequireResourceVersionLocked(rv);
        var exact = options.ResourceVersionMatch == "Exact" || (string.IsNullOrEmpty(options.ResourceVersionMatch) && options.Limit > 0 && rv > 0);
        if (!exact || rv == _resourceVersion)
        {
            return (null, null);
        }
        if (!HistoryReaches(rv))
        {
            throw ApiErrors.Gone(ExpiredList);
        }
        return (rv, null);
    }

    private bool HistoryReaches(long rv) => rv >= (_history.Oldest ?? _resourceVersion + 1) - 1;

    /// <summary>
    /// The objects of a resource as they were at <paramref name="rv"/>, in key order: today's objects with every later
    /// change undone. A page of a list whose snapshot the history no longer covers is 410 with a token to go on inconsistently.
    /// </summary>
    private List<StoredObject>? SnapshotLocked(ResourceType type, string? ns, long rv, string? continueKey, string prefix)
    {
        if (rv >= _resourceVersion)
        {
            return null;
        }
        if (!HistoryReaches(rv))
        {
            if (continueKey is null)
            {
                throw ApiErrors.Gone(ExpiredList);
            }
            throw new ApiException(410, "Expired", InconsistentContinue) { ListContinue = ContinueToken.Encode(continueKey, -1) };
        }
        var state = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
        foreach (var o in Scan(type, ns))
        {
            state[o.Key] = o;
        }
        foreach (var e in _history.NewestDownTo(rv))
        {
            if (e.StorageKey != type.StorageKey || !e.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }
            if (e.Type == WatchEvent.Added || e.Previous is null)
            {
                state.Remove(e.Key);
            }
            else
            {
                // Decoded only if the list reads it.
                state[e.Key] = new StoredObject(e.Key, e.Previous);
            }
        }
        return [.. state.Values];
    }
}

/// <summary>A page of a list: the committed versions it holds and its list metadata.</summary>
internal sealed record StoredList(ResourceType Type, string Version, long ResourceVersion, List<StoredObject> Items, string? Continue, long? RemainingItemCount)
{
    private JsonObject Metadata()
    {
        var metadata = new JsonObject { ["resourceVersion"] = ResourceVersion.ToString(CultureInfo.InvariantCulture) };
        if (Continue is not null)
        {
            metadata["continue"] = Continue;
        }
        if (RemainingItemCount is { } remaining)
        {
            metadata["remainingItemCount"] = remaining;
        }
        return metadata;
    }

    private JsonObject Envelope(JsonArray items) => new()
    {
        ["kind"] = Type.ListKind,
        ["apiVersion"] = Type.ApiVersion(Version),
        ["metadata"] = Metadata(),
        ["items"] = items,
    };

    /// <summary>The list as an object of its own (the items are copies).</summary>
    public JsonObject ToJson()
    {
        var items = new JsonArray();
        foreach (var item in Items)
        {
            var copy = (JsonObject)item.Object.DeepClone();
            if (Version != Type.StorageVersion)
            {
                copy["apiVersion"] = Type.ApiVersion(Version);
            }
            items.Add(copy);
        }
        return Envelope(items);
    }

    /// <summary>
    /// The list's JSON as <see cref="JsonText.SerializeToUtf8"/> writes <see cref="ToJson"/>, made from the items' stored
    /// JSON; null when the items' JSON is not what this version returns.
    /// </summary>
    public byte[]? ToUtf8()
    {
        if (Version != Type.StorageVersion)
        {
            return null;
        }
        // {"kind":..,"apiVersion":..,"metadata":{..},"items":[]}\n with the items' JSON (less their newlines) spliced in.
        var envelope = JsonText.SerializeToUtf8(Envelope([]));
        var head = envelope.Length - "]}\n".Length;
        // Each item loses its newline and all but the first gain a comma.
        var length = envelope.Length + Items.Sum(i => i.Json.Length) - (Items.Count > 0 ? 1 : 0);
        var body = new byte[length];
        envelope.AsSpan(0, head).CopyTo(body);
        var at = head;
        for (var i = 0; i < Items.Count; i++)
        {
            if (i > 0)
            {
                body[at++] = (byte)',';
            }
            var json = Items[i].Json;
            json.AsSpan(0, json.Length - 1).CopyTo(body.AsSpan(at));
            at += json.Length - 1;
        }
        envelope.AsSpan(head).CopyTo(body.AsSpan(at));
        return body;
    }
}
