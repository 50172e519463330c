namespace RayPS.Sandbox.Schema;

/// <summary>
/// List semantics of built-in Kubernetes types (the +listType/+listMapKey and patchMergeKey markers of
/// k8s.io/api), looked up by field name and, where a name is ambiguous, by the enclosing field.
/// </summary>
public sealed class BuiltinTypeInfo : ITypeInfo
{
    private sealed record ListRule(ListType Type, string[] Keys, string? MergeKey);

    private static readonly Dictionary<string, ListRule> Rules = new(StringComparer.Ordinal)
    {
        ["containers"] = new(ListType.Map, ["name"], "name"),
        ["initContainers"] = new(ListType.Map, ["name"], "name"),
        ["ephemeralContainers"] = new(ListType.Map, ["name"], "name"),
        ["volumes"] = new(ListType.Map, ["name"], "name"),
        ["imagePullSecrets"] = new(ListType.Map, ["name"], "name"),
        ["env"] = new(ListType.Map, ["name"], "name"),
        ["volumeMounts"] = new(ListType.Map, ["mountPath"], "mountPath"),
        ["volumeDevices"] = new(ListType.Map, ["devicePath"], "devicePath"),
        ["hostAliases"] = new(ListType.Map, ["ip"], "ip"),
        ["topologySpreadConstraints"] = new(ListType.Map, ["topologyKey", "whenUnsatisfiable"], "topologyKey"),
        ["resourceClaims"] = new(ListType.Map, ["name"], "name"),
        ["schedulingGates"] = new(ListType.Map, ["name"], "name"),
        ["ownerReferences"] = new(ListType.Map, ["uid"], "uid"),
        ["conditions"] = new(ListType.Map, ["type"], "type"),
        ["finalizers"] = new(ListType.Set, [], "$set"),
        ["resizePolicy"] = new(ListType.Atomic, [], null),
    };

    private static readonly ListRule ContainerPorts = new(ListType.Map, ["containerPort", "protocol"], "containerPort");
    private static readonly ListRule ServicePorts = new(ListType.Map, ["port", "protocol"], "port");

    private readonly string _name;
    private readonly string _parent;

    private BuiltinTypeInfo(string name, string parent)
    {
        _name = name;
        _parent = parent;
    }

    /// <summary>The type info of a built-in object's root.</summary>
    public static BuiltinTypeInfo Root { get; } = new("", "");

    public ITypeInfo? Field(string name) => new BuiltinTypeInfo(name, _name);

    public ITypeInfo? Items => new BuiltinTypeInfo(_name + "[]", _name);

    private ListRule? Rule
    {
        get
        {
            if (_name == "ports")
            {
                return _parent is "containers[]" or "initContainers[]" or "ephemeralContainers[]" ? ContainerPorts : ServicePorts;
            }
            return Rules.GetValueOrDefault(_name);
        }
    }

    public ListType ListType => Rule?.Type ?? ListType.Atomic;

    public IReadOnlyList<string> MapKeys => Rule?.Keys ?? [];

    public string? PatchMergeKey => Rule?.MergeKey;

    public bool IsAtomic => false;

    private static readonly HashSet<string> MapFields = new(StringComparer.Ordinal)
    {
        "labels", "annotations", "matchLabels", "nodeSelector", "data", "stringData", "binaryData",
        "limits", "requests", "capacity", "allocatable", "overhead",
    };

    public System.Text.Json.Nodes.JsonNode? DefaultOf(string field) =>
        field == "protocol" && _name is "ports[]" ? System.Text.Json.Nodes.JsonValue.Create("TCP") : null;

    public bool IsGranularMap => MapFields.Contains(_name) || (_name == "selector" && _parent == "spec");
}
