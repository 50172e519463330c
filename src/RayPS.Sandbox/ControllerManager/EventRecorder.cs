using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.ControllerManager;

/// <summary>Records core/v1 Events the way client-go's event recorder does.</summary>
public static class EventRecorder
{
    public static void Record(ObjectStore store, JsonObject involved, string type, string reason, string message, string component)
    {
        var name = ObjectMeta.Name(involved);
        var ns = ObjectMeta.Namespace(involved) ?? "default";
        var now = ObjectMeta.Timestamp(DateTimeOffset.UtcNow);
        var nanos = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        var evt = new JsonObject
        {
            ["kind"] = "Event",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = name + "." + nanos.ToString("x", CultureInfo.InvariantCulture),
                ["namespace"] = ns,
            },
            ["involvedObject"] = new JsonObject
            {
                ["kind"] = JsonNodes.GetString(involved["kind"]),
                ["namespace"] = ns,
                ["name"] = name,
                ["uid"] = ObjectMeta.Uid(involved),
                ["apiVersion"] = JsonNodes.GetString(involved["apiVersion"]),
                ["resourceVersion"] = ObjectMeta.ResourceVersion(involved),
            },
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = new JsonObject { ["component"] = component },
            ["firstTimestamp"] = now,
            ["lastTimestamp"] = now,
            ["count"] = 1L,
            ["type"] = type,
            ["eventTime"] = null,
            ["reportingComponent"] = component,
            ["reportingInstance"] = "",
        };
        try
        {
            store.Create(Gvr.Events, evt, new WriteOptions { FieldManager = component });
        }
        catch (ApiException)
        {
            // Events are best effort (e.g. the namespace is terminating).
        }
    }
}
