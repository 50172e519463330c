namespace RayPS;

/// <summary>One of KubeRay's CustomResourceDefinitions (rayclusters, rayjobs, rayservices in group ray.io).</summary>
public sealed class KubeRayCrd
{
    /// <summary>The CRD's name, e.g. rayclusters.ray.io.</summary>
    public string Name { get; init; } = "";

    /// <summary>The kind it defines, e.g. RayCluster.</summary>
    public string Kind { get; init; } = "";

    /// <summary>True when the CRD exists, false when it does not (404), null when it could not be read (no permission).</summary>
    public bool? Installed { get; init; }

    /// <summary>The API server accepted its names and serves it (condition Established).</summary>
    public bool Established { get; init; }

    /// <summary>The versions the API server serves, e.g. v1, v1alpha1.</summary>
    // A CRD inside KubeRayOperatorInfo sits at ConvertTo-Json's default depth (2), so a list here would be cut with a
    // warning; JSON carries Versions, the same list as one string.
    [Newtonsoft.Json.JsonIgnore]
    public IReadOnlyList<string> ServedVersions { get; init; } = Array.Empty<string>();

    /// <summary>The served versions as one string ("v1,v1alpha1"); empty when none.</summary>
    public string Versions => string.Join(",", ServedVersions);

    /// <summary>The version objects are stored in.</summary>
    public string? StorageVersion { get; init; }

    /// <summary>"rayclusters(v1,v1alpha1)", "rayjobs(missing)", "rayservices(?)".</summary>
    public override string ToString()
    {
        var plural = Name.Split('.')[0];
        return Installed switch
        {
            true => $"{plural}({string.Join(",", ServedVersions)})",
            false => $"{plural}(missing)",
            null => $"{plural}(?)",
        };
    }
}
