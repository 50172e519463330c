namespace RayPS.Ray;

/// <summary>
/// Ray resource names as the state API spells them. The <c>/nodes</c> endpoints camelCase every key, resource names
/// included (<c>object_store_memory</c> becomes <c>objectStoreMemory</c>); this maps the known rewrites back so both
/// endpoints yield the same names. Rewrites that cannot be undone unambiguously (custom names) are kept as given.
/// </summary>
internal static class RayResourceNames
{
    public const string Cpu = "CPU";
    public const string Gpu = "GPU";
    public const string Npu = "NPU";
    public const string Memory = "memory";
    public const string ObjectStoreMemory = "object_store_memory";
    public const string NodePrefix = "node:";
    public const string InternalHead = "node:__internal_head__";
    public const string AcceleratorTypePrefix = "accelerator_type:";

    public static string FromCamelCase(string key) => key switch
    {
        "objectStoreMemory" => ObjectStoreMemory,
        "node:InternalHead" => InternalHead,
        "neuronCores" => "neuron_cores",
        _ when key.StartsWith("acceleratorType:", StringComparison.Ordinal) => AcceleratorTypePrefix + key["acceleratorType:".Length..],
        _ => key,
    };

    /// <summary>True for the bookkeeping entries that are not capacity: node:&lt;ip&gt; and node:__internal_head__.</summary>
    public static bool IsNodeMarker(string key) => key.StartsWith(NodePrefix, StringComparison.Ordinal);
}
