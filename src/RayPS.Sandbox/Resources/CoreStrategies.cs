using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>core/v1 Namespace: "kubernetes" finalizer, Active phase, the metadata.name label.</summary>
internal sealed class NamespaceStrategy : ResourceStrategy
{
    public override bool ReturnDeletedObject => true;

    public override NameValidation.NameRule NameRule => NameValidation.NameRule.Label;

    public override void Default(JsonObject obj)
    {
        var spec = JsonNodes.EnsureObject(obj, "spec");
        JsonNodes.SetIfMissing(spec, "finalizers", () => new JsonArray(JsonValue.Create("kubernetes")));
        var labels = JsonNodes.EnsureObject(ObjectMeta.Meta(obj), "labels");
        var name = ObjectMeta.Name(obj);
        if (name.Length > 0)
        {
            labels["kubernetes.io/metadata.name"] = name;
        }
    }

    public override void PrepareForCreate(StrategyContext ctx, JsonObject obj) =>
        obj["status"] = new JsonObject { ["phase"] = "Active" };

    public override IReadOnlyDictionary<string, string> FieldLabels(JsonObject obj)
    {
        var fields = MetaFields(obj);
        fields["status.phase"] = JsonNodes.StringAt(obj, "status", "phase") ?? "";
        return fields;
    }

    public override bool SupportsFieldLabel(ResourceType type, string label) => base.SupportsFieldLabel(type, label) || label == "status.phase";
}

/// <summary>core/v1 Event: upsert-able, with the involvedObject/source field labels.</summary>
internal sealed class EventStrategy : ResourceStrategy
{
    private static readonly string[] Labels =
    [
        "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
        "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
    ];

    public override bool AllowCreateOnUpdate => true;

    public override IReadOnlyDictionary<string, string> FieldLabels(JsonObject obj)
    {
        var fields = MetaFields(obj);
        foreach (var label in Labels)
        {
            var path = label.Split('.');
            fields[label] = label == "source"
                ? JsonNodes.StringAt(obj, "source", "component") ?? ""
                : JsonNodes.GetString(JsonNodes.At(obj, path)) ?? "";
        }
        return fields;
    }

    public override bool SupportsFieldLabel(ResourceType type, string label) => base.SupportsFieldLabel(type, label) || Labels.Contains(label);
}

/// <summary>Resources that PUT may create (endpoints, leases, ...).</summary>
internal sealed class UpsertStrategy : ResourceStrategy
{
    public static readonly UpsertStrategy Instance = new();

    public override bool AllowCreateOnUpdate => true;
}

/// <summary>Resources whose DELETE answers with the object (their registries set ReturnDeletedObject).</summary>
internal sealed class ReturnObjectStrategy : ResourceStrategy
{
    public static readonly ReturnObjectStrategy Instance = new();

    public override bool ReturnDeletedObject => true;
}

/// <summary>core/v1 Secret: type defaults to Opaque, stringData is folded into data, type is a field label.</summary>
internal sealed class SecretStrategy : ResourceStrategy
{
    public override void Default(JsonObject obj)
    {
        if (string.IsNullOrEmpty(JsonNodes.GetString(obj["type"])))
        {
            obj["type"] = "Opaque";
        }
        if (obj["stringData"] is JsonObject stringData)
        {
            var data = JsonNodes.EnsureObject(obj, "data");
            foreach (var (key, value) in stringData)
            {
                data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(JsonNodes.GetString(value) ?? ""));
            }
            obj.Remove("stringData");
        }
    }

    public override IReadOnlyDictionary<string, string> FieldLabels(JsonObject obj)
    {
        var fields = MetaFields(obj);
        fields["type"] = JsonNodes.GetString(obj["type"]) ?? "";
        return fields;
    }

    public override bool SupportsFieldLabel(ResourceType type, string label) => base.SupportsFieldLabel(type, label) || label == "type";
}

/// <summary>core/v1 Node: spec.unschedulable is a field label.</summary>
internal sealed class NodeStrategy : ResourceStrategy
{
    public override IReadOnlyDictionary<string, string> FieldLabels(JsonObject obj)
    {
        var fields = MetaFields(obj);
        fields["spec.unschedulable"] = JsonNodes.GetBool(JsonNodes.At(obj, "spec", "unschedulable")) == true ? "true" : "false";
        return fields;
    }

    public override bool SupportsFieldLabel(ResourceType type, string label) => base.SupportsFieldLabel(type, label) || label == "spec.unschedulable";
}
