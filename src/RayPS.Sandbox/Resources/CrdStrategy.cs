using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>apiextensions.k8s.io/v1 CustomResourceDefinition: defaults, initial status, spec validation.</summary>
internal sealed class CrdStrategy : ResourceStrategy
{
    public override bool TracksGeneration => true;

    public override bool ReturnDeletedObject => true;

    public override void Default(JsonObject obj)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            return;
        }
        JsonNodes.SetIfMissing(spec, "conversion", () => new JsonObject { ["strategy"] = "None" });
        if (spec["names"] is JsonObject names && JsonNodes.GetString(names["kind"]) is { Length: > 0 } kind)
        {
            JsonNodes.SetIfMissing(names, "singular", () => kind.ToLowerInvariant());
            JsonNodes.SetIfMissing(names, "listKind", () => kind + "List");
        }
    }

    public override void PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        var storage = StorageVersion(obj);
        obj["status"] = new JsonObject
        {
            ["acceptedNames"] = new JsonObject { ["plural"] = "", ["kind"] = "" },
            ["storedVersions"] = storage is null ? new JsonArray() : new JsonArray(JsonValue.Create(storage)),
        };
    }

    public override void PrepareForUpdate(StrategyContext ctx, JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(ctx, obj, old);
        if (StorageVersion(obj) is { } storage && JsonNodes.EnsureObject(obj, "status") is var status)
        {
            var stored = JsonNodes.EnsureArray(status, "storedVersions");
            if (!stored.Any(v => JsonNodes.GetString(v) == storage))
            {
                stored.Add(storage);
            }
        }
    }

    private static string? StorageVersion(JsonObject crd) =>
        (JsonNodes.At(crd, "spec", "versions") as JsonArray)?.OfType<JsonObject>()
            .Where(v => JsonNodes.GetBool(v["storage"]) == true)
            .Select(v => JsonNodes.GetString(v["name"]))
            .FirstOrDefault();

    public override List<FieldError> Validate(StrategyContext ctx, JsonObject obj)
    {
        var errs = base.Validate(ctx, obj);
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        var group = JsonNodes.GetString(spec["group"]) ?? "";
        var plural = JsonNodes.StringAt(spec, "names", "plural") ?? "";
        if (group.Length == 0)
        {
            errs.Add(FieldError.Required("spec.group"));
        }
        else if (!group.Contains('.', StringComparison.Ordinal))
        {
            errs.Add(FieldError.Invalid("spec.group", JsonValue.Create(group), "should be a domain with at least one dot"));
        }
        if (plural.Length == 0)
        {
            errs.Add(FieldError.Required("spec.names.plural"));
        }
        if (string.IsNullOrEmpty(JsonNodes.StringAt(spec, "names", "kind")))
        {
            errs.Add(FieldError.Required("spec.names.kind"));
        }
        var name = ObjectMeta.Name(obj);
        if (name != plural + "." + group)
        {
            errs.Add(FieldError.Invalid("metadata.name", JsonValue.Create(name), "must be spec.names.plural+\".\"+spec.group"));
        }
        var scope = JsonNodes.GetString(spec["scope"]);
        if (scope is not ("Namespaced" or "Cluster"))
        {
            errs.Add(FieldError.NotSupported("spec.scope", JsonValue.Create(scope ?? ""), ["Cluster", "Namespaced"]));
        }
        var versions = (spec["versions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (versions.Count == 0)
        {
            errs.Add(FieldError.Invalid("spec.versions", null, "must have exactly one version marked as storage version"));
        }
        else if (versions.Count(v => JsonNodes.GetBool(v["storage"]) == true) != 1)
        {
            errs.Add(FieldError.InvalidRaw("spec.versions", "[]apiextensions.CustomResourceDefinitionVersion{...}", "must have exactly one version marked as storage version"));
        }
        for (var i = 0; i < versions.Count; i++)
        {
            if (JsonNodes.ObjectAt(versions[i], "schema", "openAPIV3Schema") is null)
            {
                errs.Add(FieldError.Required($"spec.versions[{i}].schema.openAPIV3Schema", "schemas are required"));
            }
        }
        return errs;
    }
}
