using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Patch;

/// <summary>The patch document itself is malformed (400).</summary>
public sealed class PatchFormatException(string message) : Exception(message);

/// <summary>A well-formed patch does not apply to the object (422).</summary>
public sealed class PatchApplyException(string message) : Exception(message);

/// <summary>RFC 6902 JSON patch (add, remove, replace, move, copy, test).</summary>
public static class JsonPatch
{
    /// <summary>The apiserver refuses patches with more operations than this.</summary>
    public const int MaxOperations = 10000;

    /// <summary>
    /// Applies <paramref name="patch"/>. <paramref name="rawPatch"/> is the patch as sent: a `test` op compares its
    /// value's scalars by their JSON text, as the API server does (see <see cref="TestMatches"/>); without it (a patch
    /// built in memory) the values are written as Go would write them, which is what a Go client sends.
    /// </summary>
    public static JsonNode? Apply(JsonNode? document, JsonNode? patch, ReadOnlyMemory<byte> rawPatch = default)
    {
        if (patch is not JsonArray ops)
        {
            throw new PatchFormatException("json: cannot unmarshal " + (patch is JsonObject ? "object" : "value") + " into Go value of type jsonpatch.Patch");
        }
        if (ops.Count > MaxOperations)
        {
            throw new PatchFormatException($"The allowed maximum operations in a JSON patch is {MaxOperations}, got {ops.Count}");
        }
        var doc = document?.DeepClone();
        using var raw = rawPatch.IsEmpty ? null : ParseRaw(rawPatch);
        var opIndex = -1;
        foreach (var opNode in ops)
        {
            opIndex++;
            if (opNode is not JsonObject op)
            {
                throw new PatchFormatException("json: cannot unmarshal value into Go value of type jsonpatch.Operation");
            }
            var kind = JsonNodes.GetString(op["op"]) ?? "";
            var path = JsonNodes.GetString(op["path"]) ?? throw new PatchApplyException("operation missing path");
            switch (kind)
            {
                case "add":
                    doc = Add(doc, path, RequireValue(op, kind));
                    break;
                case "remove":
                    doc = Remove(doc, path, out _);
                    break;
                case "replace":
                    doc = Replace(doc, path, RequireValue(op, kind));
                    break;
                case "move":
                    var from = JsonNodes.GetString(op["from"]) ?? throw new PatchApplyException("move operation missing from");
                    doc = Remove(doc, from, out var moved);
                    doc = Add(doc, path, moved);
                    break;
                case "copy":
                    var source = JsonNodes.GetString(op["from"]) ?? throw new PatchApplyException("copy operation missing from");
                    doc = Add(doc, path, Get(doc, source)?.DeepClone());
                    break;
                case "test":
                    var expected = RawValue(raw, opIndex) ?? Detached(JsonText.SerializeToUtf8(op["value"], trailingNewline: false));
                    var actual = TryGet(doc, path, out var found, out var parentFound);
                    // A missing key tests equal to null (the patch library reads both as a nil node); a missing parent fails.
                    var missingIsNull = !found && parentFound && expected.ValueKind == JsonValueKind.Null;
                    if (!missingIsNull && (!found || !TestMatches(actual, expected)))
                    {
                        throw new PatchApplyException("testing value " + path + " failed: test failed");
                    }
                    break;
                default:
                    throw new PatchApplyException("Unexpected kind: " + kind);
            }
        }
        return doc;
    }

    /// <summary>
    /// The API server's `test` comparison (the JSON patch library over Go's encoding/json): objects key by key in any
    /// order, arrays element by element, and every scalar by its JSON TEXT: the stored value as Go marshals it (strings
    /// with only `"` `\` control characters `&amp;` `&lt;` `&gt;` U+2028 U+2029 escaped, numbers as stored, so 2 is not 2.0)
    /// against the patch's literal after removing insignificant whitespace. Golden 83, 84, 86.
    /// </summary>
    internal static bool TestMatches(JsonNode? stored, JsonElement expected)
    {
        switch (stored)
        {
            case JsonObject obj:
                if (expected.ValueKind != JsonValueKind.Object)
                {
                    return false;
                }
                var properties = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var property in expected.EnumerateObject())
                {
                    properties[property.Name] = property.Value;
                }
                if (properties.Count != obj.Count)
                {
                    return false;
                }
                foreach (var (key, value) in obj)
                {
                    if (!properties.TryGetValue(key, out var other))
                    {
                        return false;
                    }
                    if ((value is null) != (other.ValueKind == JsonValueKind.Null))
                    {
                        return false;
                    }
                    if (value is not null && !TestMatches(value, other))
                    {
                        return false;
                    }
                }
                return true;
            case JsonArray arr:
                if (expected.ValueKind != JsonValueKind.Array || expected.GetArrayLength() != arr.Count)
                {
                    return false;
                }
                var index = 0;
                foreach (var item in expected.EnumerateArray())
                {
                    if (!TestMatches(arr[index++], item))
                    {
                        return false;
                    }
                }
                return true;
            default:
                return expected.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)
                    && string.Equals(JsonText.Serialize(stored), expected.GetRawText(), StringComparison.Ordinal);
        }
    }

    private static JsonDocument ParseRaw(ReadOnlyMemory<byte> utf8) =>
        JsonDocument.Parse(utf8, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });

    private static JsonElement Detached(byte[] utf8)
    {
        using var document = ParseRaw(utf8);
        return document.RootElement.Clone();
    }

    /// <summary>The `value` of op <paramref name="index"/> as sent (the last one when a key repeats, as Go decodes it).</summary>
    private static JsonElement? RawValue(JsonDocument? raw, int index)
    {
        if (raw is null || raw.RootElement.ValueKind != JsonValueKind.Array || index >= raw.RootElement.GetArrayLength())
        {
            return null;
        }
        var op = raw.RootElement[index];
        JsonElement? value = null;
        if (op.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in op.EnumerateObject())
            {
                if (property.NameEquals("value"))
                {
                    value = property.Value;
                }
            }
        }
        return value ?? Detached("null"u8.ToArray());
    }

    private static JsonNode? RequireValue(JsonObject op, string kind)
    {
        if (!op.TryGetPropertyValue("value", out var value))
        {
            throw new PatchApplyException(kind + " operation missing value");
        }
        return value?.DeepClone();
    }

    private static List<string> Tokens(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }
        if (pointer[0] != '/')
        {
            throw new PatchApplyException("invalid JSON pointer: " + pointer);
        }
        return pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
    }

    private static int ArrayIndex(string token, int count, bool allowEnd)
    {
        if (allowEnd && token == "-")
        {
            return count;
        }
        if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index < 0 || index > (allowEnd ? count : count - 1))
        {
            throw new PatchApplyException("Unable to access invalid index: " + token);
        }
        return index;
    }

    private static JsonNode? Parent(JsonNode? doc, List<string> tokens)
    {
        var node = doc;
        foreach (var token in tokens.Take(tokens.Count - 1))
        {
            node = node switch
            {
                JsonObject obj when obj.TryGetPropertyValue(token, out var child) => child,
                JsonArray arr => arr[ArrayIndex(token, arr.Count, false)],
                _ => throw new PatchApplyException("doc is missing path: " + string.Join("/", tokens)),
            };
        }
        return node ?? throw new PatchApplyException("doc is missing path: " + string.Join("/", tokens));
    }

    private static JsonNode? TryGet(JsonNode? doc, string path, out bool found) => TryGet(doc, path, out found, out _);

    private static JsonNode? TryGet(JsonNode? doc, string path, out bool found, out bool parentFound)
    {
        found = false;
        parentFound = false;
        var node = doc;
        var tokens = Tokens(path);
        for (var t = 0; t < tokens.Count; t++)
        {
            var token = tokens[t];
            parentFound = t == tokens.Count - 1 && node is JsonObject;
            switch (node)
            {
                case JsonObject obj when obj.TryGetPropertyValue(token, out var child):
                    node = child;
                    break;
                case JsonArray arr when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < arr.Count:
                    node = arr[i];
                    break;
                default:
                    return null;
            }
        }
        found = true;
        return node;
    }

    private static JsonNode? Get(JsonNode? doc, string path)
    {
        var value = TryGet(doc, path, out var found);
        return found ? value : throw new PatchApplyException("doc is missing from path: " + path);
    }

    private static JsonNode? Add(JsonNode? doc, string path, JsonNode? value)
    {
        var tokens = Tokens(path);
        if (tokens.Count == 0)
        {
            return value;
        }
        var last = tokens[^1];
        switch (Parent(doc, tokens))
        {
            case JsonObject obj:
                obj[last] = value;
                break;
            case JsonArray arr:
                arr.Insert(ArrayIndex(last, arr.Count, true), value);
                break;
            default:
                throw new PatchApplyException("doc is missing path: " + path);
        }
        return doc;
    }

    private static JsonNode? Replace(JsonNode? doc, string path, JsonNode? value)
    {
        var tokens = Tokens(path);
        if (tokens.Count == 0)
        {
            return value;
        }
        var last = tokens[^1];
        switch (Parent(doc, tokens))
        {
            case JsonObject obj when obj.ContainsKey(last):
                obj[last] = value;
                break;
            case JsonArray arr:
                arr[ArrayIndex(last, arr.Count, false)] = value;
                break;
            default:
                throw new PatchApplyException("replace operation does not apply: doc is missing key: " + path);
        }
        return doc;
    }

    private static JsonNode? Remove(JsonNode? doc, string path, out JsonNode? removed)
    {
        var tokens = Tokens(path);
        if (tokens.Count == 0)
        {
            removed = doc;
            return null;
        }
        var last = tokens[^1];
        switch (Parent(doc, tokens))
        {
            case JsonObject obj:
                if (!obj.TryGetPropertyValue(last, out removed))
                {
                    throw new PatchApplyException("remove operation does not apply: doc is missing key: " + path);
                }
                obj.Remove(last);
                break;
            case JsonArray arr:
                var index = ArrayIndex(last, arr.Count, false);
                removed = arr[index];
                arr.RemoveAt(index);
                break;
            default:
                throw new PatchApplyException("doc is missing path: " + path);
        }
        return doc;
    }
}
