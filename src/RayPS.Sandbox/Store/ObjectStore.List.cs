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
    public JsonObject List(Gvr gvr, string? ns, ListOptions? options = null)
    {
        var type = Resolve(gvr);
        options ??= new ListOptions();
        var labels = ParseLabelSelector(options.LabelSelector);
        var fields = ParseFieldSelector(type, options.FieldSelector);
        lock (_gate)
        {
            var (at, after) = ListPosition(options);
            var prefix = type.Namespaced && ns is not null ? ns + "/" : "";
            var snapshot = at is { } rv ? SnapshotLocked(type, ns, rv, options.Continue is not null ? after : null, prefix) : null;
            var all = (snapshot ?? Scan(type, ns)).Where(o => Matches(type, o, labels, fields)).ToList();
            var start = after is null ? 0 : all.FindIndex(o => string.CompareOrdinal(Key(type, o), prefix + after) >= 0);
            if (start < 0)
            {
                start = all.Count;
            }
            var count = options.Limit is > 0 ? (int)Math.Min(options.Limit.Value, all.Count - start) : all.Count - start;
            var items = new JsonArray();
            foreach (var item in all.Skip(start).Take(count))
            {
                items.Add(ToVersion(type, item, gvr.Version));
            }
            var listRv = at ?? _resourceVersion;
            var metadata = new JsonObject { ["resourceVersion"] = Rv(listRv) };
            if (start + count < all.Count)
            {
                var last = Key(type, all[start + count - 1])[prefix.Length..];
                metadata["continue"] = ContinueToken.Encode(last + "\u0000", listRv);
                // Counting is only exact without selectors, so the apiserver leaves it out otherwise.
                if (labels.IsEmpty && fields.IsEmpty)
                {
                    metadata["remainingItemCount"] = (long)(all.Count - start - count);
                }
            }
            return new JsonObject
            {
                ["kind"] = type.ListKind,
                ["apiVersion"] = type.ApiVersion(gvr.Version),
                ["metadata"] = metadata,
                ["items"] = items,
            };
        }
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
    internal void RequireResourceVersionLocked(long resourceVersion)
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

    private bool HistoryReaches(long rv) => rv >= (_history.First?.Value.ResourceVersion ?? _resourceVersion + 1) - 1;

    /// <summary>
    /// The objects of a resource as they were at <paramref name="rv"/>, in key order: today's objects with every later
    /// change undone. A page of a list whose snapshot the history no longer covers is 410 with a token to go on inconsistently.
    /// </summary>
    private List<JsonObject>? SnapshotLocked(ResourceType type, string? ns, long rv, string? continueKey, string prefix)
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
        var state = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var o in Scan(type, ns))
        {
            state[Key(type, o)] = o;
        }
        for (var node = _history.Last; node is not null && node.Value.ResourceVersion > rv; node = node.Previous)
        {
            var e = node.Value;
            if (e.StorageKey != type.StorageKey)
            {
                continue;
            }
            var key = Key(type, e.Object);
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }
            if (e.Type == WatchEvent.Added || e.Previous is null)
            {
                state.Remove(key);
            }
            else
            {
                state[key] = e.Previous;
            }
        }
        return state.Values.ToList();
    }
}
