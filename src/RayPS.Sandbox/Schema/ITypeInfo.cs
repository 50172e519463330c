namespace RayPS.Sandbox.Schema;

/// <summary>How a list merges in strategic merge patch and server-side apply.</summary>
public enum ListType
{
    /// <summary>Replaced as a whole (the default for lists without markers).</summary>
    Atomic,

    /// <summary>A set of scalars, merged by value.</summary>
    Set,

    /// <summary>A list of objects keyed by <see cref="ITypeInfo.MapKeys"/>.</summary>
    Map,
}

/// <summary>
/// The type facts that patching and apply need at a position in an object: list semantics and
/// whether a map is atomic. Implemented by CRD structural schemas and by the built-in type table.
/// </summary>
public interface ITypeInfo
{
    /// <summary>The type of the named field (or of map values for maps); null = unknown/untyped.</summary>
    ITypeInfo? Field(string name);

    /// <summary>The type of list items.</summary>
    ITypeInfo? Items { get; }

    ListType ListType { get; }

    /// <summary>Keys identifying items of a <see cref="ListType.Map"/> list.</summary>
    IReadOnlyList<string> MapKeys { get; }

    /// <summary>The strategic-merge-patch merge key (null = the list is replaced by SMP).</summary>
    string? PatchMergeKey { get; }

    /// <summary>True when the value is replaced as a whole (atomic maps/structs).</summary>
    bool IsAtomic { get; }

    /// <summary>True for maps with arbitrary keys (labels, additionalProperties) as opposed to structs.</summary>
    bool IsGranularMap { get; }

    /// <summary>The default of a field of this object type (list-map keys such as ports' protocol default to it when omitted).</summary>
    System.Text.Json.Nodes.JsonNode? DefaultOf(string field);
}
