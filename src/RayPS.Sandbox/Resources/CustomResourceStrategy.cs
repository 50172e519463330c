using System.Text.Json.Nodes;
using RayPS.Sandbox.Schema;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>
/// Custom resources: conditional updates only, generation on any non-metadata/status change, and
/// validation against the version's structural schema and x-kubernetes-validations.
/// </summary>
internal sealed class CustomResourceStrategy : ResourceStrategy
{
    public static readonly CustomResourceStrategy Instance = new();

    public override bool TracksGeneration => true;

    public override bool AllowUnconditionalUpdate => false;

    public override List<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ValidateCustom(ctx, obj, null);

    public override List<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject obj, JsonObject old)
    {
        var errs = ValidateCustom(ctx, obj, old);
        errs.AddRange(ValidateImmutableMeta(obj, old));
        return errs;
    }

    private List<FieldError> ValidateCustom(StrategyContext ctx, JsonObject obj, JsonObject? old)
    {
        var errs = NameValidation.ValidateObjectMeta(obj, NameRule, ctx.Type.Namespaced);
        if (ctx.Type.SchemaFor(ctx.Version) is { } schema)
        {
            errs.AddRange(SchemaValidator.Validate(obj, old, schema));
        }
        return errs;
    }
}
