using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Cluster;

/// <summary>
/// Records core/v1 Events for the simulated kubelet, scheduler, operator and controller manager the way client-go does,
/// with the kubelet's extras (involvedObject.fieldPath, source.host). Names are
/// <c>&lt;object&gt;.&lt;hex nanoseconds&gt;</c>, kept unique when several events fall in the same tick.
/// </summary>
internal static class ClusterEvents
{
    private static long _lastNanos;

    private static long UniqueNanos()
    {
        var now = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        while (true)
        {
            var last = Interlocked.Read(ref _lastNanos);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _lastNanos, next, last) == last)
            {
                return next;
            }
        }
    }

    private const int MaxRemembered = 4096;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ObjectStore, Dictionary<string, string>> Recorded = new();

    private static bool Bump(ObjectStore store, string ns, string eventName, string now)
    {
        try
        {
            store.Mutate(Gvr.Events, ns, eventName, e =>
            {
                e["count"] = (JsonNodes.GetInteger(e["count"]) ?? 1) + 1;
                e["lastTimestamp"] = now;
                return true;
            }, "event-correlator");
            return true;
        }
        catch (ApiException)
        {
            return false; // expired or deleted meanwhile: record a new one
        }
    }

    public static void Record(ObjectStore store, JsonObject involved, string type, string reason, string message, string component,
        string? host = null, string? fieldPath = null)
    {
        var name = ObjectMeta.Name(involved);
        var ns = ObjectMeta.Namespace(involved) ?? "default";
        var now = ObjectMeta.Timestamp(DateTimeOffset.UtcNow);
        var involvedObject = new JsonObject
        {
            ["kind"] = JsonNodes.GetString(involved["kind"]),
            ["namespace"] = ns,
            ["name"] = name,
            ["uid"] = ObjectMeta.Uid(involved),
            ["apiVersion"] = JsonNodes.GetString(involved["apiVersion"]),
            ["resourceVersion"] = ObjectMeta.ResourceVersion(involved),
        };
        if (fieldPath is not null)
        {
            involvedObject["fieldPath"] = fieldPath;
        }
        // client-go's event correlator: an event identical to one already recorded (same source, object,
        // type, reason and message) bumps that event's count and lastTimestamp instead of adding another.
        var key = string.Join("\u0000", component, host, JsonNodes.GetString(involved["kind"]), ns, name, fieldPath, ObjectMeta.Uid(involved),
            JsonNodes.GetString(involved["apiVersion"]), type, reason, message);
        var recorded = Recorded.GetOrCreateValue(store);
        string? previous;
        lock (recorded)
        {
            recorded.TryGetValue(key, out previous);
        }
        if (previous is not null && Bump(store, ns, previous, now))
        {
            return;
        }
        var source = new JsonObject { ["component"] = component };
        if (host is not null)
        {
            source["host"] = host;
        }
        var evt = new JsonObject
        {
            ["kind"] = "Event",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = name + "." + UniqueNanos().ToString("x", CultureInfo.InvariantCulture),
                ["namespace"] = ns,
            },
            ["involvedObject"] = involvedObject,
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = source,
            ["firstTimestamp"] = now,
            ["lastTimestamp"] = now,
            ["count"] = 1L,
            ["type"] = type,
            ["eventTime"] = null,
            ["reportingComponent"] = component,
            ["reportingInstance"] = host ?? "",
        };
        try
        {
            store.Create(Gvr.Events, evt, new WriteOptions { FieldManager = component });
            lock (recorded)
            {
                if (recorded.Count >= MaxRemembered)
                {
                    recorded.Clear();
                }
                recorded[key] = ObjectMeta.Name(evt);
            }
        }
        catch (ApiException)
        {
            // Events are best effort (e.g. the namespace is terminating).
        }
    }
}
