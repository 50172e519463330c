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

    /// <summary>YamlDotNet's scanner throws InvalidOperationException on this (found by mutating kubeconfigs): still KubeConfigInvalid.</summary>
    [Fact]
    public void A_file_the_YAML_parser_crashes_on_is_KubeConfigInvalid()
    {
        var path = Write("crash", ":\n    lt: aul\n    {s- naa-viwr\n64611e998726fc3d");
        var ex = Assert.Throws<RayPSException>(() => KubeConfigLoader.Build(new KubeConnectionOptions(path)));
        Assert.Equal(ErrorIds.KubeConfigInvalid, ex.ErrorId);
        Assert.Contains("not valid YAML", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("naa-viwr", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n")]
    [InlineData("# only a comment\n  # and another\n")]
    [InlineData("---\n")]
    public void An_empty_file_is_KubeConfigInvalid_saying_it_is_empty_and_what_to_do(string text)
    {
        var path = Write("empty", text);

        var ex = Assert.Throws<RayPSException>(() => KubeConfigLoader.Build(new KubeConnectionOptions(path)));

        Assert.Equal(ErrorIds.KubeConfigInvalid, ex.ErrorId);
        Assert.Equal(RayErrorCategory.InvalidData, ex.Category);
        Assert.Contains($"The kubeconfig file '{path}' is empty", ex.Message);
        Assert.Contains("Start-RaySandbox", ex.Message);
        Assert.DoesNotContain("NullReference", ex.Message);
    }

    [Fact]
    public void An_empty_file_in_a_list_contributes_nothing_as_in_kubectl()
    {
        var empty = Write("empty", "");
        var good = Write("good", Config("alpha", "https://a:6443", current: "alpha"));

        var (_, context, _) = KubeConfigLoader.Build(new KubeConnectionOptions(empty + Path.PathSeparator + good));

        Assert.Equal("alpha", context);
    }

    [Theory]
    [InlineData("apiVersion: v1\nclusters:\n- name: x\n  cluster: {server: \"https://a\n  token: super-secret-value [\n", 4)]
    [InlineData("apiVersion: v1\nkind: Config\nclusters: [\n", 4)]
    [InlineData("apiVersion: v1\nkind: Config\n\tusers: super-secret-value\n", 2, 3)]
    public void A_YAML_error_names_the_file_line_and_column_without_echoing_content(string text, int line, int noticedAt = 0)
    {
        var path = Write("broken", text);

        var ex = Assert.Throws<RayPSException>(() => KubeConfigLoader.Build(new KubeConnectionOptions(path)));

        Assert.Equal(ErrorIds.KubeConfigInvalid, ex.ErrorId);
        Assert.Contains($"The kubeconfig file '{path}' is not valid YAML: line {line}, column ", ex.Message);
        if (noticedAt > 0)
        {
            Assert.Contains($"(noticed at line {noticedAt}, column ", ex.Message);
        }
        Assert.DoesNotContain("super-secret-value", ex.Message);
        Assert.DoesNotContain("Exception", ex.Message);
    }

    [Fact]
    public void A_document_that_is_not_a_mapping_is_KubeConfigInvalid_with_its_place()
    {
        var path = Write("list", "- apiVersion: v1\n- kind: Config\n");

        var ex = Assert.Throws<RayPSException>(() => KubeConfigLoader.Build(new KubeConnectionOptions(path)));

        Assert.Equal(ErrorIds.KubeConfigInvalid, ex.ErrorId);
        Assert.Contains($"The kubeconfig file '{path}' is not a kubeconfig: line 1, column 1", ex.Message);
    }

    [Fact]
    public void A_value_of_the_wrong_shape_gives_its_line_without_echoing_content()
    {
        var path = Write("shape", "apiVersion: v1\nkind: Config\nusers:\n  token: super-secret-value\n");

        var ex = Assert.Throws<RayPSException>(() => KubeConfigLoader.Build(new KubeConnectionOptions(path)));

        Assert.Equal(ErrorIds.KubeConfigInvalid, ex.ErrorId);
        Assert.Contains($"The kubeconfig file '{path}'", ex.Message);
        Assert.Contains("line 4", ex.Message);
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
