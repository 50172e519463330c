using System.Text.Json.Nodes;

namespace RayPS.Kube;

/// <summary>
/// A kubeconfig user's <c>exec</c> credential plugin, as client-go reads it: the command (already made absolute against the
/// kubeconfig file that defined it when it names a path), its arguments kept whole, extra environment, the
/// ExecCredential API version, the interactive mode and the cluster facts passed when <c>provideClusterInfo</c> is set.
/// </summary>
public sealed record ExecPluginSpec(
    string Command,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<KeyValuePair<string, string>> Environment,
    string ApiVersion,
    string InteractiveMode,
    string? InstallHint,
    bool ProvideClusterInfo,
    ExecClusterInfo? Cluster,
    string UserName = "")
{
    public const string V1 = "client.authentication.k8s.io/v1";
    public const string V1Beta1 = "client.authentication.k8s.io/v1beta1";
    public const string V1Alpha1 = "client.authentication.k8s.io/v1alpha1";

    /// <summary>Identifies the credential this plugin yields: same plugin, same arguments, same cluster, same credential (as client-go's cache key).</summary>
    public string CacheKey
    {
        get
        {
            var node = new JsonObject
            {
                ["command"] = Command,
                ["args"] = new JsonArray(Arguments.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
                ["env"] = new JsonArray(Environment.Select(e => (JsonNode?)new JsonArray(e.Key, e.Value)).ToArray()),
                ["apiVersion"] = ApiVersion,
                ["interactiveMode"] = InteractiveMode,
                ["cluster"] = ProvideClusterInfo ? Cluster?.ToJson() : null,
            };
            return node.ToJsonString();
        }
    }
}

/// <summary>What the plugin learns about the cluster in <c>spec.cluster</c> of KUBERNETES_EXEC_INFO (provideClusterInfo: true).</summary>
public sealed record ExecClusterInfo(string Server, string? TlsServerName, bool InsecureSkipTlsVerify, string? CertificateAuthorityData,
    string? ProxyUrl, JsonNode? Config)
{
    public JsonObject ToJson()
    {
        var cluster = new JsonObject { ["server"] = Server };
        if (!string.IsNullOrEmpty(TlsServerName)) cluster["tls-server-name"] = TlsServerName;
        if (InsecureSkipTlsVerify) cluster["insecure-skip-tls-verify"] = true;
        if (!string.IsNullOrEmpty(CertificateAuthorityData)) cluster["certificate-authority-data"] = CertificateAuthorityData;
        if (!string.IsNullOrEmpty(ProxyUrl)) cluster["proxy-url"] = ProxyUrl;
        if (Config is not null) cluster["config"] = Config.DeepClone();
        return cluster;
    }
}
