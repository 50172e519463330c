using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Manifests;

namespace RayPS.Operator;

/// <summary>
/// The kuberay-operator Helm charts RayPS ships (Apache-2.0, verbatim, as embedded resources under charts/kuberay-operator/&lt;version&gt;/):
/// values.yaml, the templates (the renderer reads the RBAC rules from them) and the CRDs of crds/.
/// </summary>
public static class KubeRayOperatorChart
{
    public const string ChartName = "kuberay-operator";
    public const string DefaultVersion = "1.4.2";

    /// <summary>The chart versions RayPS can install, oldest first.</summary>
    public static readonly IReadOnlyList<string> SupportedVersions = new[] { "1.4.2", "1.7.0" };

    private static readonly Lazy<IReadOnlyDictionary<string, string>> Resources = new(() =>
    {
        var assembly = typeof(KubeRayOperatorChart).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("charts", StringComparison.Ordinal))
            .ToDictionary(n => n.Replace('\\', '/'), n => n, StringComparer.Ordinal);
    });

    private static readonly ConcurrentDictionary<string, IReadOnlyList<JsonObject>> CrdCache = new(StringComparer.Ordinal);

    /// <summary>"1.4.2" and "v1.4.2" are the same version; anything unsupported is KubeRayVersionNotSupported.</summary>
    public static string Normalize(string? version)
    {
        var v = string.IsNullOrWhiteSpace(version) ? DefaultVersion : version.Trim().TrimStart('v', 'V');
        if (!SupportedVersions.Contains(v, StringComparer.Ordinal))
        {
            throw new RayPSException(ErrorIds.KubeRayVersionNotSupported, RayErrorCategory.InvalidArgument,
                $"KubeRay operator version '{version}' is not supported. Supported versions: {string.Join(", ", SupportedVersions)}. Pass -Version with one of them.",
                version);
        }
        return v;
    }

    /// <summary>The text of one chart file, e.g. "values.yaml" or "templates/_helpers.tpl".</summary>
    public static string ReadFile(string version, string relativePath)
    {
        var key = $"charts/{ChartName}/{version}/{relativePath}";
        if (!Resources.Value.TryGetValue(key, out var name))
        {
            throw new InvalidOperationException($"The module is missing its embedded chart file '{key}'.");
        }
        using var stream = typeof(KubeRayOperatorChart).Assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The names of the CRD files of a version's crds/ folder, in order.</summary>
    public static IReadOnlyList<string> CrdFiles(string version) =>
        Resources.Value.Keys.Where(k => k.StartsWith($"charts/{ChartName}/{version}/crds/", StringComparison.Ordinal))
            .Select(k => k[(k.LastIndexOf('/') + 1)..])
            .OrderBy(k => k, StringComparer.Ordinal)
            .ToList();

    /// <summary>The chart's default values (values.yaml), a fresh copy.</summary>
    public static JsonObject DefaultValues(string version) =>
        YamlJson.ParseDocuments(ReadFile(version, "values.yaml"), $"kuberay-operator {version} values.yaml").FirstOrDefault() as JsonObject
        ?? new JsonObject();

    /// <summary>The CRDs of the chart's crds/ folder, parsed (fresh copies).</summary>
    public static IReadOnlyList<JsonObject> Crds(string version) =>
        CrdCache.GetOrAdd(version, v => CrdFiles(v)
                .SelectMany(f => YamlJson.ParseDocuments(ReadFile(v, "crds/" + f), $"kuberay-operator {v} crds/{f}"))
                .OfType<JsonObject>()
                .ToList())
            .Select(c => (JsonObject)c.DeepClone())
            .ToList();

    /// <summary>The verbatim text of a CRD file (what -ManifestOnly prints).</summary>
    public static string CrdText(string version, string file) => ReadFile(version, "crds/" + file);

    internal static Assembly Assembly => typeof(KubeRayOperatorChart).Assembly;
}
