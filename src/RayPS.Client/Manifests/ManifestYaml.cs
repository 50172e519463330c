using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace RayPS.Manifests;

/// <summary>
/// Writes manifests as YAML that kubectl apply and New-RayCluster -Path read back to the same JSON: block style, strings
/// quoted whenever YAML 1.1 would read them as something else ("yes", "12", "0777"), multi-line strings as literal blocks.
/// </summary>
public static class ManifestYaml
{
    /// <summary>Server-owned metadata that a manifest for re-creating an object must not carry.</summary>
    private static readonly string[] ServerMetadata =
    {
        "managedFields", "uid", "resourceVersion", "creationTimestamp", "generation", "selfLink",
        "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "finalizers",
    };

    private const string LastApplied = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>One or more objects as a YAML stream (documents separated by ---).</summary>
    public static string Write(IEnumerable<JsonNode> documents)
    {
        var writer = new StringWriter { NewLine = "\n" };
        var emitter = new Emitter(writer, bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false);
        emitter.Emit(new StreamStart());
        var count = 0;
        foreach (var document in documents)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: count == 0));
            WriteNode(emitter, document);
            emitter.Emit(new DocumentEnd(isImplicit: true));
            count++;
        }
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    public static string Write(JsonNode document) => Write(new[] { document });

    /// <summary>
    /// A copy of a server object that can be applied again: no status, no server-owned metadata, no last-applied
    /// annotation, and apiVersion, kind, metadata, spec first.
    /// </summary>
    public static JsonObject Clean(JsonObject serverObject)
    {
        ArgumentNullException.ThrowIfNull(serverObject);
        var copy = (JsonObject)serverObject.DeepClone();
        copy.Remove("status");
        if (copy["metadata"] is JsonObject metadata)
        {
            foreach (var key in ServerMetadata)
            {
                metadata.Remove(key);
            }
            if (metadata["annotations"] is JsonObject annotations)
            {
                annotations.Remove(LastApplied);
                if (annotations.Count == 0)
                {
                    metadata.Remove("annotations");
                }
            }
            copy["metadata"] = Ordered(metadata, "name", "namespace", "labels", "annotations");
        }
        return Ordered(copy, "apiVersion", "kind", "metadata", "spec");
    }

    /// <summary>Clean YAML of RayClusters as Get-RayCluster returned them (from the server objects they hold).</summary>
    public static string Export(IEnumerable<RayCluster> clusters) => Write(clusters.Select(c => (JsonNode)CleanRayCluster(c.Raw)));

    /// <summary><see cref="Clean"/> for a RayCluster; list items may lack apiVersion and kind, so they are set.</summary>
    public static JsonObject CleanRayCluster(JsonObject serverObject)
    {
        var copy = (JsonObject)serverObject.DeepClone();
        copy["apiVersion"] = ManifestReader.ApiVersion;
        copy["kind"] = ManifestReader.Kind;
        return Clean(copy);
    }

    private static JsonObject Ordered(JsonObject obj, params string[] first)
    {
        var result = new JsonObject();
        foreach (var key in first)
        {
            if (obj.TryGetPropertyValue(key, out var value))
            {
                obj.Remove(key);
                result[key] = value;
            }
        }
        foreach (var (key, value) in obj.ToList())
        {
            obj.Remove(key);
            result[key] = value;
        }
        return result;
    }

    private static void WriteNode(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(null, null, true, obj.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    WriteString(emitter, key);
                    WriteNode(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(null, null, true, array.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in array)
                {
                    WriteNode(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        WriteString(emitter, value.GetValue<string>());
                        break;
                    case JsonValueKind.Number:
                        emitter.Emit(new Scalar(null, null, value.ToJsonString(), ScalarStyle.Plain, true, false));
                        break;
                    case JsonValueKind.True or JsonValueKind.False:
                        emitter.Emit(new Scalar(null, null, value.GetValueKind() == JsonValueKind.True ? "true" : "false", ScalarStyle.Plain, true, false));
                        break;
                    default:
                        emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                        break;
                }
                break;
        }
    }

    private static void WriteString(IEmitter emitter, string text)
    {
        ScalarStyle style;
        if (text.Contains('\n') && !text.Contains('\r') && !HasTrailingSpaceOnLine(text))
        {
            style = ScalarStyle.Literal;
        }
        else if (YamlJson.NeedsQuotes(text))
        {
            style = text.Contains('\'') || text.Any(char.IsControl) ? ScalarStyle.DoubleQuoted : ScalarStyle.SingleQuoted;
        }
        else if (text.Contains('\'') && !IsSafePlain(text))
        {
            style = ScalarStyle.DoubleQuoted;
        }
        else
        {
            style = ScalarStyle.Plain;
        }
        // The emitter falls back to a quoted style by itself when a plain scalar would not parse back.
        emitter.Emit(new Scalar(null, null, text, style, style == ScalarStyle.Plain, style != ScalarStyle.Plain));
    }

    private static bool IsSafePlain(string text) =>
        text.Length > 0 && !"'\"!&*%@`|>{}[],#?-:".Contains(text[0]) && !text.Contains(": ", StringComparison.Ordinal) && !text.Contains(" #", StringComparison.Ordinal);

    private static bool HasTrailingSpaceOnLine(string text) =>
        text.Split('\n').Any(line => line.EndsWith(' ') || line.EndsWith('\t'));
}
