using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>apps/v1 Deployment and ReplicaSet: defaults, selector/template validation, generation rules.</summary>
internal sealed class WorkloadStrategy : ResourceStrategy
{
    private readonly bool _deployment;

    private WorkloadStrategy(bool deployment) => _deployment = deployment;

    public static WorkloadStrategy Deployment { get; } = new(true);

    public static WorkloadStrategy ReplicaSet { get; } = new(false);

    public override bool TracksGeneration => true;

    public override void Default(JsonObject obj)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            return;
        }
        JsonNodes.SetIfMissing(spec, "replicas", () => 1L);
        if (_deployment)
        {
            var strategy = JsonNodes.EnsureObject(spec, "strategy");
            JsonNodes.SetIfMissing(strategy, "type", () => "RollingUpdate");
            if (JsonNodes.GetString(strategy["type"]) == "RollingUpdate")
            {
                var rolling = JsonNodes.EnsureObject(strategy, "rollingUpdate");
                JsonNodes.SetIfMissing(rolling, "maxUnavailable", () => "25%");
                JsonNodes.SetIfMissing(rolling, "maxSurge", () => "25%");
            }
            JsonNodes.SetIfMissing(spec, "revisionHistoryLimit", () => 10L);
            JsonNodes.SetIfMissing(spec, "progressDeadlineSeconds", () => 600L);
            JsonNodes.OrderKeys(spec, ["replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit", "paused", "progressDeadlineSeconds"]);
        }
        PodSpecDefaults.ApplyToTemplate(spec["template"] as JsonObject);
    }

    public override void PrepareForCreate(StrategyContext ctx, JsonObject obj) =>
        obj["status"] = _deployment ? new JsonObject() : new JsonObject { ["replicas"] = 0L };

    // Deployments also bump generation on annotation changes (they are copied to ReplicaSets).
    public bool AnnotationsBumpGeneration => _deployment;

    public override List<FieldError> Validate(StrategyContext ctx, JsonObject obj)
    {
        var errs = base.Validate(ctx, obj);
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        if (JsonNodes.GetInteger(spec["replicas"]) is < 0)
        {
            errs.Add(FieldError.Invalid("spec.replicas", spec["replicas"]?.DeepClone(), "must be greater than or equal to 0"));
        }
        if (spec["selector"] is not JsonObject selector || selector.Count == 0)
        {
            errs.Add(FieldError.Required("spec.selector"));
        }
        else
        {
            LabelSelector parsed;
            try
            {
                parsed = LabelSelector.FromObject(selector);
            }
            catch (FormatException ex)
            {
                errs.Add(FieldError.InvalidRaw("spec.selector", "", ex.Message));
                return errs;
            }
            if (parsed.IsEmpty)
            {
                errs.Add(FieldError.Invalid("spec.selector", null, "empty selector is invalid for deployment"));
            }
            var labels = ObjectMeta.ToStringMap(JsonNodes.ObjectAt(spec, "template", "metadata", "labels"));
            if (!parsed.Matches(labels))
            {
                errs.Add(FieldError.InvalidRaw("spec.template.metadata.labels", RenderGo(JsonNodes.ObjectAt(spec, "template", "metadata", "labels") ?? new JsonObject()),
                    "`selector` does not match template `labels`"));
            }
        }
        if (JsonNodes.ObjectAt(spec, "template", "spec") is { } podSpec)
        {
            PodStrategy.ValidatePodSpec(podSpec, "spec.template.spec", errs);
            var restart = JsonNodes.GetString(podSpec["restartPolicy"]);
            if (restart is not null and not "Always")
            {
                errs.Add(FieldError.NotSupported("spec.template.spec.restartPolicy", JsonValue.Create(restart), ["Always"]));
            }
        }
        else
        {
            errs.Add(FieldError.Required("spec.template.spec.containers"));
        }
        if (_deployment)
        {
            var type = JsonNodes.StringAt(spec, "strategy", "type");
            if (type is not null and not ("RollingUpdate" or "Recreate"))
            {
                errs.Add(FieldError.NotSupported("spec.strategy.type", JsonValue.Create(type), ["Recreate", "RollingUpdate"]));
            }
        }
        return errs;
    }

    public override List<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject obj, JsonObject old)
    {
        var errs = base.ValidateUpdate(ctx, obj, old);
        if (!JsonNodes.DeepEquals(JsonNodes.At(obj, "spec", "selector"), JsonNodes.At(old, "spec", "selector")))
        {
            errs.Add(FieldError.InvalidRaw("spec.selector", "v1.LabelSelector" + JsonText.Serialize(JsonNodes.At(obj, "spec", "selector")), "field is immutable"));
        }
        return errs;
    }

    public override IReadOnlyDictionary<string, string> FieldLabels(JsonObject obj)
    {
        var fields = MetaFields(obj);
        if (!_deployment)
        {
            fields["status.replicas"] = (JsonNodes.GetInteger(JsonNodes.At(obj, "status", "replicas")) ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return fields;
    }

    public override bool SupportsFieldLabel(ResourceType type, string label) =>
        base.SupportsFieldLabel(type, label) || (!_deployment && label == "status.replicas");
}
