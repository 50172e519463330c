using System.Globalization;
using System.Text;
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

    /// <summary>
    /// Decodes and validates the query options of a write like the apiserver's handlers: invalid values of
    /// dryRun, fieldManager, fieldValidation or force are a 422 on <paramref name="optionsKind"/> (CreateOptions,
    /// UpdateOptions or PatchOptions) before the body is looked at.
    /// </summary>
    public static T Write<T>(HttpRequest request, T options, string optionsKind, PatchType? patchType = null) where T : WriteOptions
    {
        var errors = new List<FieldError>();
        var apply = patchType == PatchType.Apply;
        var manager = request.QueryValue("fieldManager");
        if (patchType is not null)
        {
            if (!apply && request.Query.ContainsKey("force"))
            {
                errors.Add(FieldError.Forbidden("force", "may not be specified for non-apply patch"));
            }
            if (apply && string.IsNullOrEmpty(manager))
            {
                errors.Add(FieldError.Required("fieldManager", "is required for apply patch"));
            }
        }
        errors.AddRange(FieldManagerErrors(manager ?? ""));
        var dryRun = DryRunValues(request);
        errors.AddRange(DryRunErrors(dryRun));
        var validation = request.QueryValue("fieldValidation") ?? "";
        if (validation is not ("" or "Ignore" or "Strict" or "Warn"))
        {
            errors.Add(FieldError.NotSupported("fieldValidation", JsonValue.Create(validation), ["", "Ignore", "Strict", "Warn"]));
        }
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid(optionsKind, "meta.k8s.io", "", errors);
        }
        options.DryRun = dryRun.Count > 0;
        options.FieldManager = string.IsNullOrEmpty(manager) ? (apply ? null : DefaultManager(request)) : manager;
        options.FieldValidation = validation switch
        {
            "Strict" => FieldValidation.Strict,
            "Ignore" => FieldValidation.Ignore,
            _ => FieldValidation.Warn,
        };
        if (options is PatchOptions patch)
        {
            patch.Force = request.QueryValue("force") is { } force && GoQueryBool(force);
        }
        return options;
    }

    /// <summary>The dryRun query values (each must be "All").</summary>
    private static IReadOnlyList<string> DryRunValues(HttpRequest request) =>
        request.Query.TryGetValue("dryRun", out var values) ? values : [];

    private static IEnumerable<FieldError> DryRunErrors(IReadOnlyList<string> dryRun)
    {
        if (dryRun.Any(v => v != "All"))
        {
            // The value is a []string, rendered with Go's %#v.
            var rendered = "[]string{" + string.Join(", ", dryRun.Select(JsonNodes.Quote)) + "}";
            yield return new FieldError(FieldErrorType.NotSupported, "dryRun", rendered, "supported values: \"All\"");
        }
    }

    private static IEnumerable<FieldError> FieldManagerErrors(string manager)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(manager) > 128)
        {
            yield return FieldError.TooLong("fieldManager", 128);
        }
        var position = 0;
        foreach (var rune in manager.EnumerateRunes())
        {
            if (!IsGoPrintable(rune))
            {
                yield return FieldError.Invalid("fieldManager", JsonValue.Create(manager),
                    $"invalid character U+{rune.Value:X4} (at position {position})");
            }
            position += rune.Utf8SequenceLength;
        }
    }

    // unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    private static bool IsGoPrintable(Rune rune) =>
        rune.Value == ' ' || Rune.GetUnicodeCategory(rune) is not (UnicodeCategory.Control or UnicodeCategory.Format or
            UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or
            UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator);

    /// <summary>How the apiserver's query decoder reads a bool: only "0" and "false" (any case) are false.</summary>
    private static bool GoQueryBool(string value) => !(value == "0" || value.Equals("false", StringComparison.OrdinalIgnoreCase));

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
            options.Limit = GoParseInt(limit);
        }
        if (into is null)
        {
            ValidateList(request, options);
        }
        return options;
    }

    /// <summary>ValidateListOptions for a list (or deletecollection): 422 on ListOptions.</summary>
    private static void ValidateList(HttpRequest request, ListOptions options)
    {
        var errors = new List<FieldError>();
        if (options.ResourceVersionMatch is { Length: > 0 } match)
        {
            if (string.IsNullOrEmpty(options.ResourceVersion))
            {
                errors.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"));
            }
            if (!string.IsNullOrEmpty(options.Continue))
            {
                errors.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
            }
            if (match is not ("Exact" or "NotOlderThan"))
            {
                errors.Add(FieldError.NotSupported("resourceVersionMatch", JsonValue.Create(match), ["Exact", "NotOlderThan", ""]));
            }
            if (match == "Exact" && options.ResourceVersion == "0")
            {
                errors.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
            }
        }
        if (request.Query.ContainsKey("sendInitialEvents"))
        {
            errors.Add(FieldError.Forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
        }
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid("ListOptions", "meta.k8s.io", "", errors);
        }
    }

    /// <summary>
    /// A read asking for a resourceVersion the store has not reached waits for it briefly, as the watch cache does;
    /// the store then answers 504 if it is still ahead.
    /// </summary>
    public static async Task WaitForRequestedResourceVersionAsync(ObjectStore store, HttpRequest request)
    {
        if (string.IsNullOrEmpty(request.QueryValue("continue")) && NumericResourceVersion(request) is { } rv && rv > store.ResourceVersion)
        {
            await store.WaitForResourceVersionAsync(rv, TimeSpan.FromSeconds(3), request.Aborted).ConfigureAwait(false);
        }
    }

    /// <summary>The resourceVersion query parameter when it is a plain number (other values are for the store to judge).</summary>
    public static long? NumericResourceVersion(HttpRequest request) =>
        request.QueryValue("resourceVersion") is { Length: > 0 } text &&
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rv) ? rv : null;

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

    /// <summary>
    /// DeleteOptions come from the body when there is one (the query is then ignored, as in the apiserver's
    /// delete handler), else from the query; invalid ones are a 422 on DeleteOptions.
    /// </summary>
    public static DeleteOptions Delete(HttpRequest request)
    {
        var options = new DeleteOptions();
        IReadOnlyList<string> dryRun;
        bool? orphanDependents;
        if (request.Body.Length > 0)
        {
            JsonObject body;
            try
            {
                body = JsonText.Parse(request.Body) as JsonObject ?? throw new FormatException("the body is not a JSON object");
            }
            catch (FormatException ex)
            {
                throw ApiErrors.BadRequest(ex.Message);
            }
            options.PropagationPolicy = JsonNodes.GetString(body["propagationPolicy"]);
            options.GracePeriodSeconds = JsonNodes.GetInteger(body["gracePeriodSeconds"]);
            options.PreconditionUid = JsonNodes.StringAt(body, "preconditions", "uid");
            options.PreconditionResourceVersion = JsonNodes.StringAt(body, "preconditions", "resourceVersion");
            dryRun = (body["dryRun"] as JsonArray)?.Select(v => JsonNodes.GetString(v) ?? "").ToList() ?? [];
            orphanDependents = JsonNodes.GetBool(body["orphanDependents"]);
        }
        else
        {
            options.PropagationPolicy = request.QueryValue("propagationPolicy");
            if (request.QueryValue("gracePeriodSeconds") is { } grace)
            {
                options.GracePeriodSeconds = GoParseInt(grace);
            }
            dryRun = DryRunValues(request);
            orphanDependents = request.QueryValue("orphanDependents") is { } orphan ? GoQueryBool(orphan) : null;
        }
        var errors = new List<FieldError>();
        if (orphanDependents is not null && options.PropagationPolicy is not null)
        {
            errors.Add(FieldError.Invalid("propagationPolicy", JsonValue.Create(options.PropagationPolicy), "orphanDependents and deletionPropagation cannot be both set"));
        }
        if (options.PropagationPolicy is not (null or "Foreground" or "Background" or "Orphan"))
        {
            errors.Add(FieldError.NotSupported("propagationPolicy", JsonValue.Create(options.PropagationPolicy), ["Foreground", "Background", "Orphan", "nil"]));
        }
        errors.AddRange(DryRunErrors(dryRun));
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid("DeleteOptions", "meta.k8s.io", "", errors);
        }
        options.DryRun = dryRun.Count > 0;
        if (orphanDependents is { } orphanAll)
        {
            options.PropagationPolicy = orphanAll ? "Orphan" : "Background";
        }
        return options;
    }

    /// <summary>An int64 query parameter; a malformed one is the 400 the apiserver's parameter decoder returns.</summary>
    public static long GoParseInt(string value)
    {
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }
        var digits = value.Length > 0 && value[0] is '+' or '-' ? value[1..] : value;
        var why = digits.Length > 0 && digits.All(char.IsAsciiDigit) ? "value out of range" : "invalid syntax";
        throw ApiErrors.BadRequest($"strconv.ParseInt: parsing {JsonNodes.Quote(value)}: {why}");
    }
}
