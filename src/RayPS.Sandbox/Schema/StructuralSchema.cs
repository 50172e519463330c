using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Schema;

/// <summary>
/// A node of a CRD's structural openAPIV3Schema: the subset the apiserver uses for pruning,
/// defaulting, validation and list/map semantics.
/// </summary>
public sealed class StructuralSchema : ITypeInfo
{
    public string? Type { get; private init; }
    public bool Nullable { get; private init; }
    public bool PreserveUnknownFields { get; private init; }
    public bool IntOrString { get; private init; }
    public bool EmbeddedResource { get; private init; }
    public IReadOnlyDictionary<string, StructuralSchema>? Properties { get; private init; }
    public StructuralSchema? ItemsSchema { get; private init; }
    public StructuralSchema? AdditionalProperties { get; private init; }
    public IReadOnlyList<string> Required { get; private init; } = [];
    public IReadOnlyList<JsonNode?>? Enum { get; private init; }
    public JsonNode? Default { get; private init; }
    public bool HasDefault { get; private init; }
    public string? Format { get; private init; }
    public string? Pattern { get; private init; }
    public long? MaxLength { get; private init; }
    public long? MinLength { get; private init; }
    public long? MaxItems { get; private init; }
    public long? MinItems { get; private init; }
    public long? MaxProperties { get; private init; }
    public long? MinProperties { get; private init; }
    public double? Minimum { get; private init; }
    public double? Maximum { get; private init; }
    public bool ExclusiveMinimum { get; private init; }
    public bool ExclusiveMaximum { get; private init; }
    public string? ListTypeName { get; private init; }
    public IReadOnlyList<string> ListMapKeys { get; private init; } = [];
    public string? MapType { get; private init; }
    public IReadOnlyList<CelRule> Validations { get; private init; } = [];

    /// <summary>True when this node or any descendant carries x-kubernetes-validations.</summary>
    public bool HasValidationRules { get; private set; }

    public sealed record CelRule(string Rule, string? Message, string? MessageExpression, string? FieldPath);

    /// <summary>Parses an openAPIV3Schema object.</summary>
    public static StructuralSchema Parse(JsonObject schema)
    {
        var node = ParseNode(schema);
        node.MarkRules();
        return node;
    }

    private bool MarkRules()
    {
        var any = Validations.Count > 0;
        if (Properties is not null)
        {
            foreach (var child in Properties.Values)
            {
                any |= child.MarkRules();
            }
        }
        any |= ItemsSchema?.MarkRules() ?? false;
        any |= AdditionalProperties?.MarkRules() ?? false;
        HasValidationRules = any;
        return any;
    }

    private static StructuralSchema ParseNode(JsonObject s)
    {
        Dictionary<string, StructuralSchema>? props = null;
        if (s["properties"] is JsonObject p)
        {
            props = new Dictionary<string, StructuralSchema>(StringComparer.Ordinal);
            foreach (var (key, value) in p)
            {
                if (value is JsonObject child)
                {
                    props[key] = ParseNode(child);
                }
            }
        }
        var rules = new List<CelRule>();
        if (s["x-kubernetes-validations"] is JsonArray validations)
        {
            foreach (var v in validations.OfType<JsonObject>())
            {
                rules.Add(new CelRule(
                    JsonNodes.GetString(v["rule"]) ?? "",
                    JsonNodes.GetString(v["message"]),
                    JsonNodes.GetString(v["messageExpression"]),
                    JsonNodes.GetString(v["fieldPath"])));
            }
        }
        return new StructuralSchema
        {
            Type = JsonNodes.GetString(s["type"]),
            Nullable = JsonNodes.GetBool(s["nullable"]) == true,
            PreserveUnknownFields = JsonNodes.GetBool(s["x-kubernetes-preserve-unknown-fields"]) == true,
            IntOrString = JsonNodes.GetBool(s["x-kubernetes-int-or-string"]) == true,
            EmbeddedResource = JsonNodes.GetBool(s["x-kubernetes-embedded-resource"]) == true,
            Properties = props,
            ItemsSchema = s["items"] is JsonObject items ? ParseNode(items) : null,
            AdditionalProperties = s["additionalProperties"] switch
            {
                JsonObject ap => ParseNode(ap),
                JsonValue bv when JsonNodes.GetBool(bv) == true => new StructuralSchema { PreserveUnknownFields = true },
                _ => null,
            },
            Required = (s["required"] as JsonArray)?.Select(n => JsonNodes.GetString(n) ?? "").ToList() ?? [],
            Enum = (s["enum"] as JsonArray)?.Select(n => n?.DeepClone()).ToList(),
            Default = s["default"]?.DeepClone(),
            HasDefault = s.ContainsKey("default"),
            Format = JsonNodes.GetString(s["format"]),
            Pattern = JsonNodes.GetString(s["pattern"]),
            MaxLength = JsonNodes.GetInteger(s["maxLength"]),
            MinLength = JsonNodes.GetInteger(s["minLength"]),
            MaxItems = JsonNodes.GetInteger(s["maxItems"]),
            MinItems = JsonNodes.GetInteger(s["minItems"]),
            MaxProperties = JsonNodes.GetInteger(s["maxProperties"]),
            MinProperties = JsonNodes.GetInteger(s["minProperties"]),
            Minimum = JsonNodes.TryGetDouble(s["minimum"], out var min) ? min : null,
            Maximum = JsonNodes.TryGetDouble(s["maximum"], out var max) ? max : null,
            ExclusiveMinimum = JsonNodes.GetBool(s["exclusiveMinimum"]) == true,
            ExclusiveMaximum = JsonNodes.GetBool(s["exclusiveMaximum"]) == true,
            ListTypeName = JsonNodes.GetString(s["x-kubernetes-list-type"]),
            ListMapKeys = (s["x-kubernetes-list-map-keys"] as JsonArray)?.Select(n => JsonNodes.GetString(n) ?? "").ToList() ?? [],
            MapType = JsonNodes.GetString(s["x-kubernetes-map-type"]),
            Validations = rules,
        };
    }

    /// <summary>The schema of a child value: a declared property, else additionalProperties.</summary>
    public StructuralSchema? Child(string name)
    {
        if (Properties is not null && Properties.TryGetValue(name, out var prop))
        {
            return prop;
        }
        return AdditionalProperties;
    }

    ITypeInfo? ITypeInfo.Field(string name) => Child(name);

    ITypeInfo? ITypeInfo.Items => ItemsSchema;

    ListType ITypeInfo.ListType => ListTypeName switch
    {
        "map" => Schema.ListType.Map,
        "set" => Schema.ListType.Set,
        _ => Schema.ListType.Atomic,
    };

    IReadOnlyList<string> ITypeInfo.MapKeys => ListMapKeys;

    // Custom resources do not support strategic merge patch.
    string? ITypeInfo.PatchMergeKey => null;

    bool ITypeInfo.IsAtomic => MapType == "atomic";

    bool ITypeInfo.IsGranularMap => AdditionalProperties is not null && MapType != "atomic";

    JsonNode? ITypeInfo.DefaultOf(string field) => Properties?.GetValueOrDefault(field)?.Default;
}
