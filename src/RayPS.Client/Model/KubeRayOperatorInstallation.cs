namespace RayPS;

/// <summary>What one apply did to one object.</summary>
public enum KubeRayObjectAction
{
    Created,
    Configured,
    Unchanged,
    Deleted,

    /// <summary>Sent with dryRun=All; nothing was stored.</summary>
    DryRun,
}

/// <summary>One object of an operator install or uninstall.</summary>
public sealed class KubeRayOperatorObject
{
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";

    /// <summary>Empty for cluster-scoped objects.</summary>
    public string Namespace { get; init; } = "";

    public KubeRayObjectAction Action { get; init; }

    public override string ToString() => $"{Kind} {(Namespace.Length > 0 ? Namespace + "/" : "")}{Name}: {Action}";
}

/// <summary>The result of Install-KubeRayOperator: what was applied and whether anything changed.</summary>
public sealed class KubeRayOperatorInstallation
{
    public string Namespace { get; init; } = "";
    public string Name { get; init; } = "";
    public string Version { get; init; } = "";

    /// <summary>The chart version installed before (from the Deployment's helm.sh/chart label), null for a new install.</summary>
    public string? PreviousVersion { get; init; }

    public bool DryRun { get; init; }
    public IReadOnlyList<KubeRayOperatorObject> Objects { get; init; } = Array.Empty<KubeRayOperatorObject>();

    public int Created => Objects.Count(o => o.Action == KubeRayObjectAction.Created);
    public int Configured => Objects.Count(o => o.Action == KubeRayObjectAction.Configured);
    public int Unchanged => Objects.Count(o => o.Action == KubeRayObjectAction.Unchanged);

    /// <summary>Objects of the previous install that the new render no longer has, deleted (as helm upgrade does).</summary>
    public int Deleted => Objects.Count(o => o.Action == KubeRayObjectAction.Deleted);

    /// <summary>False when the second run of the same install found everything as it was.</summary>
    public bool Changed => Objects.Any(o => o.Action != KubeRayObjectAction.Unchanged);

    public string Summary => DryRun ? $"dry run: {Objects.Count} objects accepted by the server, nothing stored"
        : !Changed ? $"unchanged ({Objects.Count} objects already as rendered)"
        : $"{Created} created, {Configured} configured, {Unchanged} unchanged" + (Deleted > 0 ? $", {Deleted} deleted" : "");

    public string? Context { get; init; }

    public override string ToString() => $"KubeRay operator {Version} in {Namespace}: {Summary}";
}
