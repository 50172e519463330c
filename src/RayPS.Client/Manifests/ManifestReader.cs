using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RayPS.Errors;

namespace RayPS.Manifests;

/// <summary>
/// Reads RayCluster manifests as kubectl takes them: YAML (several documents allowed) or JSON, single objects or
/// a kind: List. Syntax errors carry the line and column; other kinds are refused before anything is sent.
/// </summary>
public static class ManifestReader
{
    public const string ApiVersion = KubeRayNames.ApiVersion;
    public const string Kind = "RayCluster";

    /// <summary>Reads a file (FileNotFound when it does not exist) and returns its RayCluster objects.</summary>
    public static IReadOnlyList<JsonObject> ReadRayClusters(string path) => ParseRayClusters(ReadText(path), path);

    /// <summary>Reads a whole file as UTF-8, mapping a missing file to FileNotFound.</summary>
    public static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RayPSException(ErrorIds.FileNotFound, RayErrorCategory.ObjectNotFound,
                $"The file '{path}' does not exist. Check the path (relative paths are relative to the current location).", path, ex);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException && Directory.Exists(path))
        {
            throw new RayPSException(ErrorIds.FileNotFound, RayErrorCategory.InvalidArgument,
                $"'{path}' is a folder, not a file. Pass the path of the file itself.", path, ex);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new RayPSException(ErrorIds.FileNotFound, RayErrorCategory.ReadError,
                $"The file '{path}' cannot be read: {ex.Message}", path, ex);
        }
    }

    /// <summary>Parses manifest text; every object must be a ray.io/v1 RayCluster.</summary>
    public static IReadOnlyList<JsonObject> ParseRayClusters(string text, string source)
    {
        var documents = ParseDocuments(text, source);
        if (documents.Count == 0)
        {
            throw new RayPSException(ErrorIds.InvalidYaml, RayErrorCategory.InvalidData,
                $"{source} holds no manifest. Give a RayCluster manifest (Export-RayCluster or New-RayCluster -ManifestOnly write one).", source);
        }

        var clusters = new List<JsonObject>();
        var number = 0;
        foreach (var document in documents)
        {
            number++;
            if (document is JsonObject list && Str(list, "kind") == "List" && list["items"] is JsonArray items)
            {
                clusters.AddRange(items.Select((item, i) => CheckKind(item, source, $"document {number}, item {i + 1}")));
            }
            else
            {
                clusters.Add(CheckKind(document, source, documents.Count == 1 ? "the manifest" : $"document {number}"));
            }
        }
        return clusters;
    }

    /// <summary>Parses JSON (when the text starts with '{' or '[') or YAML into documents.</summary>
    public static IReadOnlyList<JsonNode?> ParseDocuments(string text, string source)
    {
        var trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            return new[] { ParseJson(trimmed, source) };
        }
        return YamlJson.ParseDocuments(text, source);
    }

    private static JsonNode? ParseJson(string text, string source)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            var column = (ex.BytePositionInLine ?? 0) + 1;
            var reason = ex.Message;
            var cut = reason.IndexOf(" Path:", StringComparison.Ordinal);
            reason = (cut >= 0 ? reason[..cut] : reason).TrimEnd('.', ' ');
            throw new RayPSException(ErrorIds.InvalidYaml, RayErrorCategory.InvalidData,
                $"{source}: line {line}, column {column}: {reason}. Fix the file and run the command again.", source, ex);
        }
        catch (ArgumentException ex)
        {
            throw new RayPSException(ErrorIds.InvalidYaml, RayErrorCategory.InvalidData,
                $"{source}: {ex.Message} A JSON object cannot repeat a key; fix the file and run the command again.", source, ex);
        }
    }

    private static JsonObject CheckKind(JsonNode? node, string source, string where)
    {
        if (node is not JsonObject obj)
        {
            throw new RayPSException(ErrorIds.InvalidManifestKind, RayErrorCategory.InvalidData,
                $"{source}: {where} is not an object. Give a RayCluster manifest (apiVersion: {ApiVersion}, kind: {Kind}).", source);
        }

        var kind = Str(obj, "kind");
        var apiVersion = Str(obj, "apiVersion");
        if (kind != Kind || apiVersion is null || !apiVersion.StartsWith(KubeRayNames.Group + "/", StringComparison.Ordinal))
        {
            var what = kind is null ? "has no kind" : $"is a {kind} ({apiVersion ?? "no apiVersion"})";
            throw new RayPSException(ErrorIds.InvalidManifestKind, RayErrorCategory.InvalidData,
                $"{source}: {where} {what}, not a {Kind} ({ApiVersion}). New-RayCluster -Path only creates RayClusters; apply other kinds with kubectl apply -f.",
                source);
        }

        if (apiVersion != ApiVersion)
        {
            throw new RayPSException(ErrorIds.InvalidManifestKind, RayErrorCategory.InvalidData,
                $"{source}: {where} uses apiVersion {apiVersion}; RayPS creates RayClusters as {ApiVersion}. Change apiVersion to {ApiVersion} (the v1 schema is the same for RayClusters written for v1alpha1 in almost all cases).",
                source);
        }
        return obj;
    }

    private static string? Str(JsonObject obj, string key) =>
        obj[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
