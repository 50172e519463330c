using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>What a write is doing, for strategies that need to look around (e.g. IP allocation).</summary>
internal sealed class StrategyContext
{
    public required ObjectStore Store { get; init; }
    public required ResourceType Type { get; init; }
    public required string Version { get; init; }
    public bool DryRun { get; init; }
    public List<string> Warnings { get; } = [];

    /// <summary>The name came from generateName (the apiserver generates it after admission, which sees no name yet).</summary>
    public bool NameGenerated { get; set; }
}

/// <summary>
/// Per-resource behaviour, mirroring the apiserver's registry strategies: defaulting, admission
/// mutations, create/update preparation, validation and field labels.
/// </summary>
internal class ResourceStrategy
{
    public static readonly ResourceStrategy Generic = new();

    /// <summary>metadata.generation is maintained (bumped on spec changes).</summary>
    public virtual bool TracksGeneration => false;

    /// <summary>PUT without metadata.resourceVersion is allowed.</summary>
    public virtual bool AllowUnconditionalUpdate => true;

    /// <summary>PUT on a missing object creates it.</summary>
    public virtual bool AllowCreateOnUpdate => false;

    /// <summary>DELETE answers with the object rather than a Status.</summary>
    public virtual bool ReturnDeletedObject => false;

    public virtual NameValidation.NameRule NameRule => NameValidation.NameRule.Subdomain;

    /// <summary>Defaulting that the real server applies when decoding (SetDefaults_*).</summary>
    public virtual void Default(JsonObject obj)
    {
    }

    /// <summary>Status and other server-owned state reset on create.</summary>
    public virtual void PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        if (ctx.Type.HasStatus)
        {
            obj.Remove("status");
        }
    }

    /// <summary>Server-owned state carried over on update.</summary>
    public virtual void PrepareForUpdate(StrategyContext ctx, JsonObject obj, JsonObject old)
    {
        if (ctx.Type.HasStatus)
        {
            if (old["status"] is { } status)
            {
                obj["status"] = status.DeepClone();
            }
            else
            {
                obj.Remove("status");
            }
        }
    }

    /// <summary>Mutating admission (service account volumes, cluster IPs, ...); runs after defaulting.</summary>
    public virtual void Admit(StrategyContext ctx, JsonObject obj, JsonObject? old)
    {
    }

    public virtual List<FieldError> Validate(StrategyContext ctx, JsonObject obj) =>
        NameValidation.ValidateObjectMeta(obj, NameRule, ctx.Type.Namespaced);

    public virtual List<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject obj, JsonObject old)
    {
        var errs = Validate(ctx, obj);
        errs.AddRange(ValidateImmutableMeta(obj, old));
        return errs;
    }

    /// <summary>Field labels a fieldSelector may use; metadata.name/namespace always.</summary>
    public virtual IReadOnlyDictionary<string, string> FieldLabels(JsonObject obj) => MetaFields(obj);

    public virtual bool SupportsFieldLabel(ResourceType type, string label) =>
        label is "metadata.name" or "metadata.namespace" || type.SelectableFields.Contains(label);

    protected static Dictionary<string, string> MetaFields(JsonObject obj) => new(StringComparer.Ordinal)
    {
        ["metadata.name"] = ObjectMeta.Name(obj),
        ["metadata.namespace"] = ObjectMeta.Namespace(obj) ?? "",
    };

    protected static IEnumerable<FieldError> ValidateImmutableMeta(JsonObject obj, JsonObject old)
    {
        var oldName = ObjectMeta.Name(old);
        if (ObjectMeta.Name(obj) != oldName)
        {
            yield return FieldError.Invalid("metadata.name", JsonValue.Create(ObjectMeta.Name(obj)), "field is immutable");
        }
    }

    /// <summary>Compares a sub-tree and reports "field is immutable" when it changed.</summary>
    protected static void RequireUnchanged(List<FieldError> errs, JsonObject obj, JsonObject old, string field, params string[] path)
    {
        var now = JsonNodes.At(obj, path);
        var before = JsonNodes.At(old, path);
        if (!JsonNodes.DeepEquals(now, before))
        {
            errs.Add(FieldError.InvalidRaw(field, RenderGo(now), "field is immutable"));
        }
    }

    /// <summary>A rough Go %v rendering of a value, for messages about composite values.</summary>
    protected static string RenderGo(JsonNode? value) => value switch
    {
        JsonObject o => "map[string]string{" + string.Join(", ", o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => JsonNodes.Quote(p.Key) + ":" + JsonNodes.FormatScalar(p.Value))) + "}",
        _ => JsonNodes.FormatScalar(value),
    };
}
