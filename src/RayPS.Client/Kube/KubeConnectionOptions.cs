namespace RayPS.Kube;

/// <summary>What a cmdlet was told about where to connect. Null means "use the default".</summary>
public sealed record KubeConnectionOptions(string? KubeConfig = null, string? Context = null, string? Namespace = null);
