using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Client.Tests.Kube;

public sealed class KubeConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rayps-kc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string Config(string context, string server, string? ns = null, string? current = null) => $"""
        apiVersion: v1
        kind: Config
        {(current is null ? "" : $"current-context: {current}")}
        clusters:
        - name: {context}-cluster
          cluster:
            server: {server}
            insecure-skip-tls-verify: true
        users:
        - name: {context}-user
          user:
            token: secret-token-{context}
        contexts:
        - name: {context}
          context:
            cluster: {context}-cluster
            user: {context}-user
            {(ns is null ? "" : $"namespace: {ns}")}
        """;

    [Fact]
    public void Explicit_missing_file_is_KubeConfigNotFound()
    {
        var ex = Assert.Throws<RayPSException>(() => KubeConfigLoader.Build(new KubeConnectionOptions(Path.Combine(_dir, "nope"))));
        Assert.Equal(ErrorIds.KubeConfigNotFound, ex.ErrorId);
        Assert.Equal(RayErrorCategory.ObjectNotFound, ex.Category);
    }

    [Fact]
    public void Unknown_context_lists_the_available_ones()
    {
        var path = Write("a", Config("alpha", "https://a:6443", current: "alpha"));
        var ex = Assert.Throws<RayPSException>(() => KubeConfigLoader.Build(new KubeConnectionOptions(path, "nope")));
        Assert.Equal(ErrorIds.KubeContextNotFound, ex.ErrorId);
        Assert.Contains("alpha", ex.Message);
    }

    [Fact]
    public void Merged_files_first_definition_and_first_current_context_win()
    {
        var a = Write("a", Config("alpha", "https://a:6443", ns: "ns-a", current: "alpha"));
        var b = Write("b", Config("beta", "https://b:6443", ns: "ns-b", current: "beta"));
        var list = a + Path.PathSeparator + b;

        var (config, context, _) = KubeConfigLoader.Build(new KubeConnectionOptions(list));
        Assert.Equal("alpha", context);
        Assert.Equal("ns-a", config.Namespace);

        var (betaConfig, betaContext, _) = KubeConfigLoader.Build(new KubeConnectionOptions(list, "beta"));
        Assert.Equal("beta", betaContext);
        Assert.StartsWith("https://b:6443", betaConfig.Host);
        Assert.Equal(new[] { "alpha", "beta" }, KubeConfigLoader.ListContexts(list));
    }

    [Fact]
    public void Invalid_file_is_KubeConfigInvalid_without_echoing_content()
    {
        var path = Write("bad", "clusters: [ {name: x, token: super-secret-value ");
        var ex = Assert.Throws<RayPSException>(() => KubeConfigLoader.Build(new KubeConnectionOptions(path)));
        Assert.Equal(ErrorIds.KubeConfigInvalid, ex.ErrorId);
        Assert.DoesNotContain("super-secret-value", ex.Message);
    }

    [Fact]
    public void Namespace_defaults_to_the_context_then_default()
    {
        var path = Write("a", Config("alpha", "https://a:6443", current: "alpha"));
        KubeConnection.ClearCache();
        var connection = KubeConnection.Get(new KubeConnectionOptions(path));
        Assert.Equal("default", connection.ResolveNamespace(null));
        Assert.Equal("other", connection.ResolveNamespace("other"));
        Assert.Same(connection, KubeConnection.Get(new KubeConnectionOptions(path)));
    }
}
