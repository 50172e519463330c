using System.Text;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Patch;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Store;

public sealed partial class ObjectStore
{
    private static readonly string[] CustomPatchTypes =
        ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];

    private static readonly string[] BuiltinPatchTypes =
        ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

    /// <summary>The patch content types a resource accepts (strategic merge only for built-in types).</summary>
    internal static IReadOnlyList<string> PatchContentTypes(ResourceType type) => type.IsCustom ? CustomPatchTypes : BuiltinPatchTypes;

    internal WriteResult Patch(Gvr gvr, string? ns, string name, PatchType patchType, byte[] body, PatchOptions options, string? subresource)
    {
        var type = Resolve(gvr);
        if (patchType == PatchType.StrategicMergePatch && type.IsCustom)
        {
            throw ApiErrors.UnsupportedMediaType(CustomPatchTypes);
        }
        if (patchType == PatchType.Apply && string.IsNullOrEmpty(options.FieldManager))
        {
            throw new ApiException(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                new StatusDetails(Group: "meta.k8s.io", Kind: "PatchOptions",
                    Causes: [new StatusCause("FieldValueRequired", "Required value: is required for apply patch", "fieldManager")]));
        }
        var manager = ManagerFor(options);
        lock (_gate)
        {
            var existing = Find(type, ns, name);
            if (patchType == PatchType.Apply)
            {
                return ApplyLocked(type, gvr.Version, ns, name, existing, body, options, subresource, manager);
            }
            if (existing is null)
            {
                throw NotFound(type, name);
            }
            var current = ToVersion(type, existing, gvr.Version);
            var patched = ApplyPatch(type, gvr.Version, current, patchType, body, options);
            return UpdateLocked(type, gvr.Version, ns, name, patched, options, subresource, manager, applied: false);
        }
    }

    private static JsonObject ApplyPatch(ResourceType type, string version, JsonObject current, PatchType patchType, byte[] body, WriteOptions options)
    {
        JsonNode? patch;
        try
        {
            patch = JsonText.Parse(body, options.DuplicateFields);
        }
        catch (FormatException ex)
        {
            throw ApiErrors.BadRequest(PatchDecodeMessage(patchType, options, ex.Message));
        }
        CheckPatchShape(patchType, patch, options);
        JsonNode? result;
        try
        {
            result = patchType switch
            {
                PatchType.JsonPatch => JsonPatch.Apply(current, patch, body),
                PatchType.MergePatch => JsonMergePatch.Apply(current, patch),
                _ => patch is JsonObject smp
                    ? StrategicMergePatch.Apply(current, smp, type.TypeInfo(version))
                    : throw new PatchFormatException("json: cannot unmarshal array into Go value of type map[string]interface {}"),
            };
        }
        catch (PatchFormatException ex)
        {
            throw ApiErrors.BadRequest(ex.Message);
        }
        catch (PatchApplyException)
        {
            throw ApiErrors.GenericInvalid();
        }
        if (result is not JsonObject obj)
        {
            throw ApiErrors.BadRequest("json: cannot unmarshal non-object into Go value of type map[string]interface {}");
        }
        // The patch may not move the object.
        ObjectMeta.Meta(obj)["name"] = ObjectMeta.Name(current);
        return obj;
    }

    /// <summary>
    /// The 400 for a patch body that is not JSON: JSON and merge patches are decoded strictly first (under the default
    /// fieldValidation Warn, and Strict) and then say "error decoding patch"; without it the patch library's own words.
    /// </summary>
    private static string PatchDecodeMessage(PatchType patchType, WriteOptions options, string error) => patchType switch
    {
        PatchType.StrategicMergePatch => error,
        _ when options.FieldValidation != FieldValidation.Ignore => "error decoding patch: " + error,
        PatchType.MergePatch => "Invalid JSON Patch",
        _ => error,
    };

    /// <summary>The Go decoding errors (and the 413) for JSON patch and merge patch bodies of the wrong shape.</summary>
    private static void CheckPatchShape(PatchType patchType, JsonNode? patch, WriteOptions options)
    {
        var strict = options.FieldValidation != FieldValidation.Ignore;
        if (patchType == PatchType.MergePatch && strict && patch is not (null or JsonObject))
        {
            throw ApiErrors.BadRequest($"error decoding patch: json: cannot unmarshal {GoJsonKind(patch)} into Go value of type map[string]interface {{}}");
        }
        if (patchType != PatchType.JsonPatch || patch is null)
        {
            return;
        }
        if (patch is not JsonArray ops)
        {
            throw ApiErrors.BadRequest(strict
                ? $"error decoding patch: json: cannot unmarshal {GoJsonKind(patch)} into Go value of type []handlers.jsonPatchOp"
                : $"json: cannot unmarshal {GoJsonKind(patch)} into Go value of type jsonpatch.Patch");
        }
        if (strict)
        {
            foreach (var op in ops)
            {
                if (op is not (null or JsonObject))
                {
                    throw ApiErrors.BadRequest($"error decoding patch: json: cannot unmarshal {GoJsonKind(op)} into Go value of type handlers.jsonPatchOp");
                }
                foreach (var name in new[] { "op", "path", "from" })
                {
                    if (op?[name] is { } value && JsonNodes.KindOf(value) is not (JsonKind.String or JsonKind.Null))
                    {
                        throw ApiErrors.BadRequest($"error decoding patch: json: cannot unmarshal {GoJsonKind(value)} into Go struct field jsonPatchOp.{name} of type string");
                    }
                }
            }
        }
        if (ops.Count > JsonPatch.MaxOperations)
        {
            throw new ApiException(413, "RequestEntityTooLarge",
                $"Request entity too large: The allowed maximum operations in a JSON patch is {JsonPatch.MaxOperations}, got {ops.Count}");
        }
    }

    /// <summary>The JSON kind as Go's UnmarshalTypeError names it.</summary>
    private static string GoJsonKind(JsonNode? node) => JsonNodes.KindOf(node) switch
    {
        JsonKind.Object => "object",
        JsonKind.Array => "array",
        JsonKind.String => "string",
        JsonKind.Boolean => "bool",
        _ => "number",
    };

    private WriteResult ApplyLocked(ResourceType type, string version, string? ns, string name, JsonObject? existing, byte[] body,
        PatchOptions options, string? subresource, string manager)
    {
        JsonObject config;
        try
        {
            var text = Encoding.UTF8.GetString(body);
            var parsed = text.TrimStart().StartsWith('{') ? JsonText.Parse(body, options.DuplicateFields) : YamlConverter.Parse(text);
            config = parsed as JsonObject ?? throw new FormatException("the body is not an object");
        }
        catch (FormatException ex)
        {
            throw ApiErrors.BadRequest("error decoding YAML: " + ex.Message);
        }
        if (string.IsNullOrEmpty(JsonNodes.GetString(config["apiVersion"])) || string.IsNullOrEmpty(JsonNodes.GetString(config["kind"])))
        {
            var missing = string.IsNullOrEmpty(JsonNodes.GetString(config["kind"])) ? "Kind" : "APIVersion";
            throw ApiErrors.BadRequest($"Object '{missing}' is missing in '{JsonText.Serialize(config)}'");
        }
        var meta = ObjectMeta.Meta(config);
        if (string.IsNullOrEmpty(JsonNodes.GetString(meta["name"])))
        {
            meta["name"] = name;
        }
        if (type.IsCustom && type.SchemaFor(version) is { } schema)
        {
            var pruned = Schema.SchemaPruner.PruneResource(config, schema);
            var problems = pruned.Select(p => $"unknown field {JsonNodes.Quote(p)}").ToList();
            if (problems.Count > 0 && options.FieldValidation == FieldValidation.Strict)
            {
                throw ApiErrors.BadRequest($".{string.Join(", .", pruned)}: field not declared in schema");
            }
            if (options.FieldValidation == FieldValidation.Warn)
            {
                options.Warnings.AddRange(problems);
            }
        }
        var include = subresource == "status" ? (Func<string, bool>)(k => k == "status") : MainFields(type);
        var typeInfo = type.TypeInfo(version);
        var apiVersion = type.ApiVersion(version);
        if (existing is null)
        {
            if (subresource is not null)
            {
                throw NotFound(type, name);
            }
            var created = ManagedFields.Apply(null, config, manager, apiVersion, options.Force, typeInfo, include, Now());
            return CreateLocked(type, version, ns, created, options, manager, trackFields: false);
        }
        var live = ToVersion(type, existing, version);
        var precondition = JsonNodes.GetString(meta["resourceVersion"]);
        if (!string.IsNullOrEmpty(precondition) && precondition != ObjectMeta.ResourceVersion(existing))
        {
            throw ApiErrors.Conflict(type.Resource, type.Group, name, ApiErrors.ModifiedConflict);
        }
        var merged = ManagedFields.Apply(live, config, manager, apiVersion, options.Force, typeInfo, include, Now());
        ObjectMeta.Meta(merged)["resourceVersion"] = ObjectMeta.ResourceVersion(existing);
        return UpdateLocked(type, version, ns, name, merged, options, subresource, manager, applied: true);
    }
}
