using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Store;

/// <summary>Accessors for the metadata block of an object held as a <see cref="JsonObject"/>.</summary>
public static class ObjectMeta
{
    /// <summary>The Go field order of metav1.ObjectMeta, used when writing built-in objects.</summary>
    public static readonly string[] FieldOrder =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    public static JsonObject Meta(JsonObject obj) => JsonNodes.EnsureObject(obj, "metadata");

    public static string Name(JsonObject obj) => JsonNodes.StringAt(obj, "metadata", "name") ?? "";

    public static string? Namespace(JsonObject obj) => JsonNodes.StringAt(obj, "metadata", "namespace");

    public static string Uid(JsonObject obj) => JsonNodes.StringAt(obj, "metadata", "uid") ?? "";

    public static string ResourceVersion(JsonObject obj) => JsonNodes.StringAt(obj, "metadata", "resourceVersion") ?? "";

    public static long Generation(JsonObject obj) => JsonNodes.GetInteger(JsonNodes.At(obj, "metadata", "generation")) ?? 0;

    public static string? DeletionTimestamp(JsonObject obj) => JsonNodes.StringAt(obj, "metadata", "deletionTimestamp");

    public static JsonObject? Labels(JsonObject obj) => JsonNodes.ObjectAt(obj, "metadata", "labels");

    public static JsonObject? Annotations(JsonObject obj) => JsonNodes.ObjectAt(obj, "metadata", "annotations");

    public static IReadOnlyDictionary<string, string> LabelMap(JsonObject obj) => ToStringMap(Labels(obj));

    public static Dictionary<string, string> ToStringMap(JsonObject? map)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (map is null)
        {
            return result;
        }
        foreach (var (key, value) in map)
        {
            result[key] = JsonNodes.GetString(value) ?? JsonNodes.FormatScalar(value).Trim('"');
        }
        return result;
    }

    public static List<string> Finalizers(JsonObject obj) =>
        (JsonNodes.At(obj, "metadata", "finalizers") as JsonArray)?.Select(n => JsonNodes.GetString(n) ?? "").ToList() ?? [];

    public static void SetFinalizers(JsonObject obj, IReadOnlyCollection<string> finalizers)
    {
        var meta = Meta(obj);
        if (finalizers.Count == 0)
        {
            meta.Remove("finalizers");
            return;
        }
        meta["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());
    }

    public static IEnumerable<JsonObject> OwnerReferences(JsonObject obj) =>
        (JsonNodes.At(obj, "metadata", "ownerReferences") as JsonArray)?.OfType<JsonObject>() ?? [];

    /// <summary>RFC 3339 in UTC with second precision, as metav1.Time serialises.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
