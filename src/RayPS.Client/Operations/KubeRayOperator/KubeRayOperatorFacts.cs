using System.Text.Json.Nodes;
using RayPS.Model;

namespace RayPS.Operations;

/// <summary>What the operator rules need to know about one KubeRay operator Deployment and its pods.</summary>
internal sealed class KubeRayOperatorFacts
{
    public string Namespace { get; init; } = "";
    public string Name { get; init; } = "";
    public int Desired { get; init; }
    public int Ready { get; init; }
    public string? Image { get; init; }
    public string? Version { get; init; }

    /// <summary>The operator's pods; null when they could not be listed.</summary>
    public IReadOnlyList<RayPodFacts>? Pods { get; init; }

    /// <summary>The operator runs with --watch-namespace, so it only reconciles some namespaces.</summary>
    public bool WatchesSomeNamespaces { get; init; }

    public string InstalledBy { get; init; } = "";
    public string? ChartVersion { get; init; }
    public IReadOnlyList<string> WatchNamespaces { get; init; } = Array.Empty<string>();
    public IReadOnlyDictionary<string, bool> FeatureGates { get; init; } = new Dictionary<string, bool>();

    /// <summary>The Deployment's Available condition message when it is False.</summary>
    public string? UnavailableMessage { get; init; }

    public static KubeRayOperatorFacts FromJson(JsonObject deployment, IReadOnlyList<JsonObject>? pods)
    {
        var ns = deployment.Str("metadata.namespace") ?? "";
        var selector = deployment.Map("spec.selector.matchLabels");
        var containers = deployment.Items("spec.template.spec.containers").ToList();
        var container = containers.FirstOrDefault(c => c.Str("name") == "kuberay-operator") ?? containers.FirstOrDefault();
        var image = container.Str("image");
        var args = container.Items("command").Concat(container.Items("args")).Select(a => a.AsString() ?? "").ToList();
        var available = deployment.Items("status.conditions").FirstOrDefault(c => c.Str("type") == "Available");
        var labels = deployment.Map("metadata.labels");
        return new KubeRayOperatorFacts
        {
            Namespace = ns,
            Name = deployment.Str("metadata.name") ?? "",
            Desired = deployment.Int("spec.replicas") ?? 1,
            Ready = deployment.Int("status.readyReplicas") ?? 0,
            Image = image,
            Version = VersionOf(image) ?? labels.GetValueOrDefault("app.kubernetes.io/version") ?? ChartVersionOf(labels.GetValueOrDefault("helm.sh/chart")),
            Pods = pods?.Where(p => p.Str("metadata.namespace") == ns && selector.Count > 0 && selector.All(kv => p.Map("metadata.labels").GetValueOrDefault(kv.Key) == kv.Value))
                .Select(RayPodFacts.FromJson)
                .OrderBy(p => p.Name, StringComparer.Ordinal)
                .ToList(),
            WatchesSomeNamespaces = args.Any(a => a.Contains("--watch-namespace", StringComparison.Ordinal) && !a.EndsWith("=", StringComparison.Ordinal)),
            UnavailableMessage = available.Str("status") == "False" ? available.Str("message") : null,
            InstalledBy = deployment.Map("metadata.annotations").ContainsKey("meta.helm.sh/release-name") ? "Helm"
                : labels.GetValueOrDefault("app.kubernetes.io/managed-by") == "RayPS" ? "RayPS"
                : labels.GetValueOrDefault("app.kubernetes.io/managed-by") == "Helm" ? "Helm"
                : "Other",
            ChartVersion = ChartVersionOf(labels.GetValueOrDefault("helm.sh/chart")),
            WatchNamespaces = FlagValue(args, "--watch-namespace")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? Array.Empty<string>(),
            FeatureGates = ParseGates(FlagValue(args, "--feature-gates")),
        };
    }

    /// <summary>The value of "--flag value" or "--flag=value" in an argument list; null when absent or empty.</summary>
    internal static string? FlagValue(IReadOnlyList<string> args, string flag)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var value = args[i] == flag && i + 1 < args.Count ? args[i + 1]
                : args[i].StartsWith(flag + "=", StringComparison.Ordinal) ? args[i][(flag.Length + 1)..]
                : null;
            if (!string.IsNullOrEmpty(value))
            {
                return value;
            }
        }
        return null;
    }

    /// <summary>"A=true,B=false" into a map.</summary>
    internal static IReadOnlyDictionary<string, bool> ParseGates(string? text)
    {
        var gates = new SortedDictionary<string, bool>(StringComparer.Ordinal);
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq];
            gates[name] = eq < 0 || !bool.TryParse(part[(eq + 1)..], out var on) || on;
        }
        return gates;
    }

    /// <summary>The tag of an image reference: "quay.io/kuberay/operator:v1.4.2" gives "v1.4.2"; digests are ignored.</summary>
    internal static string? VersionOf(string? image)
    {
        if (string.IsNullOrEmpty(image))
        {
            return null;
        }
        var name = image.Split('@')[0];
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        return colon > slash && colon < name.Length - 1 ? name[(colon + 1)..] : null;
    }

    /// <summary>"kuberay-operator-1.4.2" (the helm.sh/chart label) gives "1.4.2".</summary>
    private static string? ChartVersionOf(string? chart)
    {
        const string prefix = "kuberay-operator-";
        return chart is not null && chart.StartsWith(prefix, StringComparison.Ordinal) ? chart[prefix.Length..] : null;
    }
}
