using System.Text.Json.Nodes;
namespace RayPS.Sandbox.Store;

/// <summary>How unknown or duplicate fields in a request body are treated (the fieldValidation parameter).</summary>
public enum FieldValidation
{
    Ignore,
    Warn,
    Strict,
}

/// <summary>The patch formats the apiserver accepts.</summary>
public enum PatchType
{
    JsonPatch,
    MergePatch,
    StrategicMergePatch,
    Apply,
}

/// <summary>Options of create/update/patch, matching metav1.CreateOptions/UpdateOptions/PatchOptions.</summary>
public class WriteOptions
{
    public bool DryRun { get; set; }

    /// <summary>The managedFields manager; defaults to the caller's user-agent prefix ("sandbox" in process).</summary>
    public string? FieldManager { get; set; }

    public FieldValidation FieldValidation { get; set; } = FieldValidation.Warn;

    /// <summary>Warnings produced by the write (unknown fields, ...), in the order the server emits them.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Fields the request body repeated (filled by the HTTP layer when it parses the body).</summary>
    public List<string> DuplicateFields { get; } = [];

    /// <summary>
    /// Validating admission that depends on who writes (the HTTP layer sets it, e.g. RBAC's escalation check):
    /// runs on the final object after validation; a returned error refuses the write.
    /// </summary>
    internal Func<Resources.ResourceType, JsonObject, ApiException?>? Admission { get; set; }
}

/// <summary>Patch options; <see cref="Force"/> takes over conflicting fields in server-side apply.</summary>
public sealed class PatchOptions : WriteOptions
{
    public bool Force { get; set; }
}

/// <summary>metav1.DeleteOptions.</summary>
public sealed class DeleteOptions
{
    /// <summary>"Foreground", "Background" or "Orphan"; null = the resource's default.</summary>
    public string? PropagationPolicy { get; set; }
    public long? GracePeriodSeconds { get; set; }
    public string? PreconditionUid { get; set; }
    public string? PreconditionResourceVersion { get; set; }
    public bool DryRun { get; set; }
}

/// <summary>List (and watch) options: selectors, paging, resourceVersion semantics.</summary>
public class ListOptions
{
    public string? LabelSelector { get; set; }
    public string? FieldSelector { get; set; }
    public long? Limit { get; set; }
    public string? Continue { get; set; }
    public string? ResourceVersion { get; set; }
    public string? ResourceVersionMatch { get; set; }
}

/// <summary>Watch options.</summary>
public sealed class WatchOptions : ListOptions
{
    public bool AllowWatchBookmarks { get; set; }
    public bool SendInitialEvents { get; set; }
}
