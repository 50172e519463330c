namespace RayPS.Kube;

/// <summary>
/// A resolved kubeconfig context: the KubernetesClient configuration (never with an exec plugin left in it), the exec plugin
/// whose credential the connection must add, and the proxy kubectl would use.
/// </summary>
public sealed record KubeTarget(k8s.KubernetesClientConfiguration Config, string ContextName, string SourceKey, ExecPluginSpec? Exec,
    System.Net.IWebProxy? Proxy);
