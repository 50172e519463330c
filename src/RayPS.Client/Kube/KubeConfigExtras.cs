using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace RayPS.Kube;

/// <summary>Where kubeconfig files came from (decides kubectl's error when none exists).</summary>
public enum KubeConfigOrigin { Explicit, Environment, Home }

/// <summary>The kubeconfig files that exist (in precedence order) and the ones that were looked for but are missing.</summary>
public sealed record KubeConfigSources(IReadOnlyList<string> Existing, IReadOnlyList<string> Missing, KubeConfigOrigin Origin);

/// <summary>
/// The kubeconfig fields kubectl honours that the KubernetesClient model does not read: a cluster's <c>proxy-url</c> and its
/// <c>client.authentication.k8s.io/exec</c> extension, and an exec user's <c>interactiveMode</c>. First definition wins,
/// as for the merged entries themselves.
/// </summary>
internal sealed class KubeConfigExtras
{
    private readonly Dictionary<string, string> _proxyUrls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonNode> _execExtensions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _interactiveModes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenClusters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenUsers = new(StringComparer.Ordinal);

    public string? ProxyUrl(string? cluster) => cluster is not null && _proxyUrls.TryGetValue(cluster, out var url) ? url : null;
    public JsonNode? ExecExtension(string? cluster) => cluster is not null && _execExtensions.TryGetValue(cluster, out var node) ? node : null;
    public string? InteractiveMode(string? user) => user is not null && _interactiveModes.TryGetValue(user, out var mode) ? mode : null;

    /// <summary>Reads the extras of one file from its parsed root mapping (the tree the loader already checked).</summary>
    public void Add(YamlMappingNode root)
    {
        foreach (var item in Items(root, "clusters"))
        {
            if (Scalar(item, "name") is not { } name || !_seenClusters.Add(name)) continue;
            if (Child(item, "cluster") is not YamlMappingNode cluster) continue;
            if (Scalar(cluster, "proxy-url") is { Length: > 0 } proxy) _proxyUrls[name] = proxy;
            foreach (var extension in Items(cluster, "extensions"))
            {
                if (Scalar(extension, "name") == "client.authentication.k8s.io/exec" && Child(extension, "extension") is { } value)
                {
                    _execExtensions[name] = ToJson(value);
                }
            }
        }
        foreach (var item in Items(root, "users"))
        {
            if (Scalar(item, "name") is not { } name || !_seenUsers.Add(name)) continue;
            if (Child(item, "user") is YamlMappingNode user && Child(user, "exec") is YamlMappingNode exec &&
                Scalar(exec, "interactiveMode") is { } mode)
            {
                _interactiveModes[name] = mode;
            }
        }
    }

    private static IEnumerable<YamlMappingNode> Items(YamlMappingNode node, string key) =>
        Child(node, key) is YamlSequenceNode sequence ? sequence.Children.OfType<YamlMappingNode>() : Enumerable.Empty<YamlMappingNode>();

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    private static JsonNode ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            new KeyValuePair<string, JsonNode?>(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(c => (JsonNode?)ToJson(c)).ToArray()),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value ?? "")!,
        _ => JsonValue.Create("")!,
    };
}
