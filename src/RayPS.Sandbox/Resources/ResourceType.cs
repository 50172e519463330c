using System.Text.Json.Nodes;
using RayPS.Sandbox.Schema;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>A subresource a resource serves, as listed in discovery.</summary>
internal sealed record Subresource(string Name, string Verbs, string? Kind = null, string? Group = null, string? Version = null)
{
    public IReadOnlyList<string> VerbList => Verbs.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Where a custom resource keeps its scale fields (CRD spec.versions[].subresources.scale).</summary>
internal sealed record ScalePaths(string SpecReplicas, string StatusReplicas, string? LabelSelector);

/// <summary>Everything the server knows about one resource: naming, scope, versions, behaviour.</summary>
internal sealed class ResourceType
{
    public required string Group { get; init; }
    public required string Resource { get; init; }
    public required string Kind { get; init; }
    public required string Singular { get; init; }
    public required bool Namespaced { get; init; }

    /// <summary>Served versions in preference order.</summary>
    public required IReadOnlyList<string> Versions { get; init; }
    public required string StorageVersion { get; init; }
    public required IReadOnlyList<string> Verbs { get; init; }
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    public IReadOnlyList<Subresource> Subresources { get; init; } = [];
    public required ResourceStrategy Strategy { get; init; }

    /// <summary>Served from a CustomResourceDefinition.</summary>
    public bool IsCustom { get; init; }

    /// <summary>Per-version structural schemas (custom resources only).</summary>
    public IReadOnlyDictionary<string, StructuralSchema> Schemas { get; init; } = new Dictionary<string, StructuralSchema>();

    /// <summary>Per-version additionalPrinterColumns (custom resources only).</summary>
    public IReadOnlyDictionary<string, JsonArray> PrinterColumns { get; init; } = new Dictionary<string, JsonArray>();

    public ScalePaths? CustomScale { get; init; }

    /// <summary>CRD field selectors (spec.versions[].selectableFields) beyond metadata.name/namespace.</summary>
    public IReadOnlyList<string> SelectableFields { get; init; } = [];

    /// <summary>True while the owning CRD is being deleted: no new objects may be created.</summary>
    public bool Terminating { get; set; }

    public string ListKind => Kind + "List";

    public string StorageKey => Group + "/" + Resource;

    public string GroupResource => Group.Length == 0 ? Resource : Resource + "." + Group;

    public bool HasStatus => Subresources.Any(s => s.Name == "status");

    public bool HasScale => Subresources.Any(s => s.Name == "scale");

    public bool HasSubresource(string name) => Subresources.Any(s => s.Name == name);

    public string ApiVersion(string version) => Group.Length == 0 ? version : Group + "/" + version;

    public Gvr Gvr(string? version = null) => new(Group, version ?? StorageVersion, Resource);

    public StructuralSchema? SchemaFor(string version) => Schemas.GetValueOrDefault(version);

    /// <summary>List/map semantics used by strategic merge patch and server-side apply.</summary>
    public ITypeInfo TypeInfo(string version) => IsCustom && SchemaFor(version) is { } s ? s : BuiltinTypeInfo.Root;

    /// <summary>storageVersionHash as discovery publishes it: base64 of the first 8 bytes of sha256("group/version/Kind").</summary>
    public string StorageVersionHash
    {
        get
        {
            var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Group + "/" + StorageVersion + "/" + Kind));
            return Convert.ToBase64String(bytes, 0, 8);
        }
    }
}
