using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Store;

public sealed partial class ObjectStore
{
    /// <summary>The start of a watch: events to send first, then the live feed (events newer than <see cref="FromResourceVersion"/>).</summary>
    internal sealed class WatchStream(List<WatchEvent> initial, StoreSubscription? subscription, long from, Func<StoreEvent, WatchEvent?> transform) : IDisposable
    {
        public List<WatchEvent> Initial { get; } = initial;
        public StoreSubscription? Subscription { get; } = subscription;
        public long FromResourceVersion { get; } = from;

        /// <summary>Turns a committed change into what this watcher sees (or nothing), honouring selectors.</summary>
        public WatchEvent? Transform(StoreEvent e) => e.ResourceVersion > FromResourceVersion ? transform(e) : null;

        public void Dispose() => Subscription?.Dispose();
    }

    /// <summary>Watches a resource in process: initial events per <paramref name="options"/>, then changes until cancelled.</summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(Gvr gvr, string? ns, WatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var stream = StartWatch(gvr, ns, options ?? new WatchOptions());
        foreach (var e in stream.Initial)
        {
            yield return e;
        }
        if (stream.Subscription is null)
        {
            yield break;
        }
        while (await stream.Subscription.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (stream.Subscription.Reader.TryRead(out var change))
            {
                if (stream.Transform(change) is { } e)
                {
                    yield return e;
                }
            }
        }
    }

    internal WatchStream StartWatch(Gvr gvr, string? ns, WatchOptions options)
    {
        var type = Resolve(gvr);
        var labels = ParseLabelSelector(options.LabelSelector);
        var fields = ParseFieldSelector(type, options.FieldSelector);
        bool Visible(JsonObject? o) =>
            o is not null && (ns is null || !type.Namespaced || ObjectMeta.Namespace(o) == ns) && Matches(type, o, labels, fields);
        WatchEvent? Transform(StoreEvent e)
        {
            var now = e.Type != WatchEvent.Deleted && Visible(e.Object);
            var before = e.Type != WatchEvent.Added && Visible(e.Previous);
            var kind = e.Type switch
            {
                WatchEvent.Added => now ? WatchEvent.Added : null,
                WatchEvent.Modified when now && before => WatchEvent.Modified,
                WatchEvent.Modified when now => WatchEvent.Added,
                WatchEvent.Modified when before => WatchEvent.Deleted,
                WatchEvent.Deleted => before || Visible(e.Object) ? WatchEvent.Deleted : null,
                _ => null,
            };
            return kind is null ? null : new WatchEvent(kind, ToVersion(type, e.Object, gvr.Version));
        }

        lock (_gate)
        {
            var rvText = options.ResourceVersion;
            var initial = new List<WatchEvent>();
            if (options.SendInitialEvents || string.IsNullOrEmpty(rvText) || rvText == "0")
            {
                foreach (var o in Scan(type, ns).Select(s => s.Object).Where(o => Visible(o)))
                {
                    initial.Add(new WatchEvent(WatchEvent.Added, ToVersion(type, o, gvr.Version)));
                }
                if (options.SendInitialEvents && options.AllowWatchBookmarks)
                {
                    initial.Add(Bookmark(type, gvr.Version, _resourceVersion, initialEventsEnd: true));
                }
                return new WatchStream(initial, SubscribeLocked(type.StorageKey), _resourceVersion, Transform);
            }
            if (!long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
            {
                throw ApiErrors.BadRequest($"resourceVersion: Invalid value: {Json.JsonNodes.Quote(rvText)}: must be a valid resource version");
            }
            var oldest = _history.Oldest ?? _resourceVersion + 1;
            if (from < oldest - 1 && from < _resourceVersion)
            {
                var expired = ApiErrors.Gone($"too old resource version: {from} ({oldest - 1})");
                return new WatchStream([new WatchEvent(WatchEvent.Error, expired.ToStatus())], null, _resourceVersion, Transform);
            }
            foreach (var e in _history.After(from).Where(e => e.StorageKey == type.StorageKey))
            {
                if (Transform(e.Decode()) is { } visible)
                {
                    initial.Add(visible);
                }
            }
            return new WatchStream(initial, SubscribeLocked(type.StorageKey), _resourceVersion, Transform);
        }
    }

    /// <summary>A BOOKMARK event: only kind, apiVersion and metadata.resourceVersion (plus the initial-events-end marker).</summary>
    internal static WatchEvent Bookmark(ResourceType type, string version, long resourceVersion, bool initialEventsEnd)
    {
        var meta = new JsonObject();
        if (initialEventsEnd)
        {
            meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }
        meta["resourceVersion"] = Rv(resourceVersion);
        var obj = new JsonObject { ["kind"] = type.Kind, ["apiVersion"] = type.ApiVersion(version), ["metadata"] = meta };
        return new WatchEvent(WatchEvent.Bookmark, Serialization.Arrange(type, obj));
    }
}
