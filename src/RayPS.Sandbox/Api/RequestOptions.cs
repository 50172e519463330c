using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>Decodes request bodies and query parameters into store options, as the apiserver's handlers do.</summary>
internal static class RequestOptions
{
    private static readonly string[] BodyMediaTypes = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];

    public static string MediaType(string? contentType) =>
        (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();

    /// <summary>The manager of a non-apply write: ?fieldManager= or the user agent's product name.</summary>
    public static string DefaultManager(HttpRequest request)
    {
        var ua = request.Headers["User-Agent"] ?? "";
        var prefix = ua.Split('/')[0];
        return prefix.Length == 0 ? "unknown" : prefix;
    }

    public static T Write<T>(HttpRequest request, T options, bool apply = false) where T : WriteOptions
    {
        options.DryRun = request.Query.TryGetValue("dryRun", out var dry) && dry.Contains("All");
        options.FieldManager = request.QueryValue("fieldManager") ?? (apply ? null : DefaultManager(request));
        var validation = request.QueryValue("fieldValidation");
        options.FieldValidation = validation?.ToLowerInvariant() switch
        {
            null or "" or "warn" => FieldValidation.Warn,
            "strict" => FieldValidation.Strict,
            "ignore" => FieldValidation.Ignore,
            _ => throw ApiErrors.BadRequest($"fieldValidation: Unsupported value: {JsonNodes.Quote(validation)}: supported values: \"Ignore\", \"Strict\", \"Warn\""),
        };
        if (options is PatchOptions patch)
        {
            patch.Force = request.QueryValue("force") is "true" or "1";
        }
        return options;
    }

    /// <summary>Parses a JSON or YAML object body; protobuf and unknown media types get 415.</summary>
    public static JsonObject Body(HttpRequest request, WriteOptions options)
    {
        var media = MediaType(request.Headers["Content-Type"]);
        JsonNode? parsed;
        try
        {
            switch (media)
            {
                case "" or "application/json":
                    parsed = JsonText.Parse(request.Body, options.DuplicateFields);
                    break;
                case "application/yaml" or "application/x-yaml" or "text/yaml":
                    parsed = YamlConverter.Parse(request.BodyText);
                    break;
                case KubeProtobuf.MediaType:
                    try
                    {
                        parsed = KubeProtobuf.Decode(request.Body);
                    }
                    catch (NotSupportedException)
                    {
                        throw ApiErrors.UnsupportedMediaType(BodyMediaTypes);
                    }
                    break;
                default:
                    throw ApiErrors.UnsupportedMediaType(BodyMediaTypes);
            }
        }
        catch (FormatException ex)
        {
            throw ApiErrors.BadRequest("couldn't get version/kind; json parse error: " + ex.Message);
        }
        return parsed as JsonObject ?? throw ApiErrors.BadRequest("couldn't get version/kind; json parse error: the body is not a JSON object");
    }

    public static PatchType PatchTypeOf(HttpRequest request, ResourceType type)
    {
        return MediaType(request.Headers["Content-Type"]) switch
        {
            "application/json-patch+json" => PatchType.JsonPatch,
            "application/merge-patch+json" => PatchType.MergePatch,
            "application/strategic-merge-patch+json" when !type.IsCustom => PatchType.StrategicMergePatch,
            "application/apply-patch+yaml" => PatchType.Apply,
            _ => throw ApiErrors.UnsupportedMediaType(ObjectStore.PatchContentTypes(type)),
        };
    }

    public static ListOptions List(HttpRequest request, ListOptions? into = null)
    {
        var options = into ?? new ListOptions();
        options.LabelSelector = request.QueryValue("labelSelector");
        options.FieldSelector = request.QueryValue("fieldSelector");
        options.Continue = request.QueryValue("continue");
        options.ResourceVersion = request.QueryValue("resourceVersion");
        options.ResourceVersionMatch = request.QueryValue("resourceVersionMatch");
        if (request.QueryValue("limit") is { Length: > 0 } limit)
        {
            options.Limit = long.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : throw ApiErrors.BadRequest("limit: Invalid value: " + JsonNodes.Quote(limit));
        }
        return options;
    }

    public static WatchOptions Watch(HttpRequest request)
    {
        var options = (WatchOptions)List(request, new WatchOptions());
        options.AllowWatchBookmarks = request.QueryValue("allowWatchBookmarks") is "true" or "1";
        options.SendInitialEvents = request.QueryValue("sendInitialEvents") is "true" or "1";
        if (options.SendInitialEvents)
        {
            var errors = new List<FieldError>();
            if (options.ResourceVersionMatch != "NotOlderThan")
            {
                errors.Add(FieldError.Forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
            }
            if (!options.AllowWatchBookmarks)
            {
                errors.Add(FieldError.Forbidden("allowWatchBookmarks", "sendInitialEvents requires setting allowWatchBookmarks to true"));
            }
            if (errors.Count > 0)
            {
                throw ApiErrors.Invalid("ListOptions", "meta.k8s.io", "", errors);
            }
        }
        return options;
    }

    public static DeleteOptions Delete(HttpRequest request)
    {
        var options = new DeleteOptions
        {
            DryRun = request.Query.TryGetValue("dryRun", out var dry) && dry.Contains("All"),
            PropagationPolicy = request.QueryValue("propagationPolicy"),
        };
        if (request.QueryValue("gracePeriodSeconds") is { } grace && long.TryParse(grace, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var g))
        {
            options.GracePeriodSeconds = g;
        }
        if (request.QueryValue("orphanDependents") is { } orphan && options.PropagationPolicy is null)
        {
            options.PropagationPolicy = orphan == "true" ? "Orphan" : "Background";
        }
        if (request.Body.Length > 0 && JsonText.Parse(request.Body) is JsonObject body)
        {
            options.PropagationPolicy = JsonNodes.GetString(body["propagationPolicy"]) ?? options.PropagationPolicy;
            options.GracePeriodSeconds = JsonNodes.GetInteger(body["gracePeriodSeconds"]) ?? options.GracePeriodSeconds;
            options.PreconditionUid = JsonNodes.StringAt(body, "preconditions", "uid");
            options.PreconditionResourceVersion = JsonNodes.StringAt(body, "preconditions", "resourceVersion");
            options.DryRun |= (body["dryRun"] as JsonArray)?.Any(v => JsonNodes.GetString(v) == "All") == true;
            if (JsonNodes.GetBool(body["orphanDependents"]) is { } orphanDependents && JsonNodes.GetString(body["propagationPolicy"]) is null)
            {
                options.PropagationPolicy = orphanDependents ? "Orphan" : "Background";
            }
        }
        return options;
    }
}
