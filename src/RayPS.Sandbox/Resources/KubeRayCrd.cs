using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Resources;

/// <summary>The KubeRay v1.4.2 RayCluster CRD embedded in the assembly (parsed once per process).</summary>
public static class KubeRayCrd
{
    private static readonly Lazy<JsonObject> Parsed = new(Load);

    /// <summary>The YAML as shipped by KubeRay.</summary>
    public static string Yaml
    {
        get
        {
            using var stream = typeof(KubeRayCrd).Assembly.GetManifestResourceStream("RayPS.Sandbox.ray.io_rayclusters.yaml")
                ?? throw new InvalidOperationException("the embedded RayCluster CRD is missing");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>A fresh copy of the CRD object.</summary>
    public static JsonObject Create() => (JsonObject)Parsed.Value.DeepClone();

    private static JsonObject Load() =>
        YamlConverter.Parse(Yaml) as JsonObject ?? throw new InvalidOperationException("the embedded RayCluster CRD is not an object");
}
