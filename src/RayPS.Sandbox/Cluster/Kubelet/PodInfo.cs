using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Cluster;

/// <summary>Read helpers over a Pod object's status.</summary>
internal static class PodInfo
{
    public static string Phase(JsonObject pod) => JsonNodes.StringAt(pod, "status", "phase") ?? "";

    public static bool IsTerminating(JsonObject pod) => ObjectMeta.DeletionTimestamp(pod) is not null;

    public static JsonObject? Condition(JsonObject pod, string type) =>
        (JsonNodes.At(pod, "status", "conditions") as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => JsonNodes.GetString(c["type"]) == type);

    public static bool IsConditionTrue(JsonObject pod, string type) => JsonNodes.GetString(Condition(pod, type)?["status"]) == "True";

    /// <summary>utils.IsRunningAndReady.</summary>
    public static bool IsRunningAndReady(JsonObject pod) => Phase(pod) == "Running" && IsConditionTrue(pod, "Ready");

    public static IEnumerable<JsonObject> Containers(JsonObject pod) =>
        (JsonNodes.At(pod, "spec", "containers") as JsonArray)?.OfType<JsonObject>() ?? [];

    public static IEnumerable<JsonObject> InitContainers(JsonObject pod) =>
        (JsonNodes.At(pod, "spec", "initContainers") as JsonArray)?.OfType<JsonObject>() ?? [];

    public static string? Label(JsonObject pod, string key) => JsonNodes.GetString(ObjectMeta.Labels(pod)?[key]);

    public static string? Annotation(JsonObject pod, string key) => JsonNodes.GetString(ObjectMeta.Annotations(pod)?[key]);

    public static DateTimeOffset CreationTime(JsonObject obj) =>
        DateTimeOffset.TryParse(JsonNodes.StringAt(obj, "metadata", "creationTimestamp"), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.MinValue;
}
