using System.Collections;
using System.Text;
using k8s;
using RayPS.Kube;

namespace RayPS.Client.Tests.Kube;

/// <summary>
/// KubeConfigReader must read every kubeconfig exactly as KubernetesClient's own loader does (it only skips that loader's
/// start-up cost): the same model, field by field, or the same exception type.
/// </summary>
public sealed class KubeConfigReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rayps-kcr-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> Files => new()
    {
        { "typical", """
            apiVersion: v1
            kind: Config
            current-context: sandbox
            clusters:
            - name: sandbox
              cluster:
                server: https://127.0.0.1:6443
                certificate-authority-data: LS0tLS1CRUdJTg==
            users:
            - name: admin
              user:
                token: secret-token
            contexts:
            - name: sandbox
              context:
                cluster: sandbox
                user: admin
                namespace: kube-system
            """ },
        { "every field", """
            apiVersion: v1
            kind: Config
            preferences:
              colors: true
              nested: {a: [1, two, 3.5, null]}
            current-context: "ctx"
            extensions:
            - name: top
              extension: {x: 1}
            clusters:
            - name: c1
              cluster:
                server: https://example:443
                certificate-authority: ca/ca.crt
                tls-server-name: api.example
                insecure-skip-tls-verify: false
                proxy-url: socks5://proxy:1080
                extensions:
                - name: client.authentication.k8s.io/exec
                  extension:
                    audience: sts
                    list: [a, b]
                    deep: {k: {v: "1"}}
            users:
            - name: u1
              user:
                client-certificate: certs/client.crt
                client-key: certs/client.key
                client-certificate-data: Q0VSVA==
                client-key-data: S0VZ
                as: someone
                as-groups: [g1, g2]
                as-user-extra: {scopes: view}
                username: bob
                password: pw
                auth-provider:
                  name: oidc
                  config: {client-id: x, idp-issuer-url: https://issuer}
                extensions: []
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: ./bin/plugin
                  args: [--flag, "value"]
                  env:
                  - name: A
                    value: "1"
                  - {name: B, value: two}
                  installHint: install it
                  provideClusterInfo: true
                  interactiveMode: Never
            contexts:
            - name: ctx
              context: {cluster: c1, user: u1, namespace: ns1, extensions: [{name: e, extension: v}]}
              namespace: outer
            """ },
        { "merge keys and anchors", """
            clusters:
            - name: base
              cluster: &base
                server: https://base:6443
                insecure-skip-tls-verify: true
            - name: derived
              cluster:
                <<: *base
                tls-server-name: derived
            users:
            - &u {name: u, user: {token: t}}
            contexts:
            - name: c
              context: {cluster: derived, user: u}
            """ },
        { "scalars typed loosely", """
            clusters:
            - name: 123
              cluster:
                server: 0x1F
                insecure-skip-tls-verify: "true"
            users:
            - name: ~
              user:
                token: null
                exec: {command: c, provideClusterInfo: True}
            contexts: []
            current-context: 1.5
            """ },
        { "json", """{"apiVersion":"v1","clusters":[{"name":"j","cluster":{"server":"https://j"}}],"contexts":[{"name":"j","context":{"cluster":"j"}}],"current-context":"j"}""" },
        { "unknown fields everywhere", "foo: bar\nclusters:\n- name: a\n  extra: [1]\n  cluster: {server: s, whatever: {x: y}}\n" },
        { "duplicate keys", "current-context: a\ncurrent-context: b\n" },
        { "two documents", "current-context: a\n---\ncurrent-context: b\n" },
        { "empty", "" },
        { "whitespace", "  \n\n" },
        { "comment only", "# nothing here\n" },
        { "document marker only", "---\n" },
        { "explicit null document", "~\n" },
        { "a scalar", "just a string\n" },
        { "a list", "- a\n- b\n" },
        { "broken flow", "clusters: [ {name: x, token: super-secret-value " },
        { "bad indentation", "clusters:\n- name: a\n   cluster: {}\n  - oops\n" },
        { "clusters is a string", "clusters: nope\n" },
        { "clusters is a map", "clusters: {a: b}\n" },
        { "bool that is not", "clusters:\n- name: a\n  cluster: {insecure-skip-tls-verify: maybe}\n" },
        { "env is not a list", "users:\n- name: u\n  user: {exec: {command: c, env: {A: b}}}\n" },
        { "tab indentation", "clusters:\n\t- name: a\n" },
        { "undefined alias", "clusters: *nowhere\n" },
    };

    private static readonly string[] FailingRows =
    [
        "empty", "whitespace", "comment only", "document marker only", "explicit null document", "a scalar", "a list", "broken flow",
        "bad indentation", "clusters is a string", "clusters is a map", "bool that is not", "env is not a list", "tab indentation",
        "undefined alias", "two documents",
    ];

    [Theory]
    [MemberData(nameof(Files))]
    public void Reads_a_file_as_KubernetesClient_does(string name, string text)
    {
        var path = Path.Combine(_dir, name.Replace(' ', '-'));
        File.WriteAllText(path, text);

        var (expected, expectedError) = Outcome(() => KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path), useRelativePaths: true));
        var (actual, actualError) = Outcome(() => KubeConfigReader.Load(path));

        Assert.Equal(expectedError?.GetType(), actualError?.GetType());
        Assert.Equal(expected, actual);
        // The rows are meant to cover both outcomes: these are the ones that fail to load.
        Assert.Equal(FailingRows.Contains(name), actualError is not null);
    }

    [Fact]
    public void A_byte_order_mark_and_a_missing_file_behave_alike()
    {
        var path = Path.Combine(_dir, "bom");
        File.WriteAllText(path, "current-context: x\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(
            Outcome(() => KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path), useRelativePaths: true)),
            Outcome(() => KubeConfigReader.Load(path)));

        var missing = Path.Combine(_dir, "missing");
        var (_, expected) = Outcome(() => KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(missing), useRelativePaths: true));
        var (_, actual) = Outcome(() => KubeConfigReader.Load(missing));
        Assert.NotNull(actual);
        Assert.Equal(expected!.GetType(), actual!.GetType());
        Assert.Equal(expected.Message, actual.Message);
    }

    [Fact]
    public void The_typical_file_reads_into_the_fields_a_connection_uses()
    {
        var path = Path.Combine(_dir, "fields");
        File.WriteAllText(path, (string)Files.First(row => (string)row[0] == "typical")[1]);
        var config = KubeConfigReader.Load(path);
        Assert.Equal("sandbox", config.CurrentContext);
        Assert.Equal("https://127.0.0.1:6443", Assert.Single(config.Clusters).ClusterEndpoint.Server);
        Assert.Equal("secret-token", Assert.Single(config.Users).UserCredentials.Token);
        Assert.Equal("kube-system", Assert.Single(config.Contexts).ContextDetails.Namespace);
        Assert.Equal(Path.GetFullPath(path), config.FileName);
    }

    private static (string? Dump, Exception? Error) Outcome(Func<object> load)
    {
        try
        {
            return (Dump(load()), null);
        }
        catch (Exception ex)
        {
            return (null, ex is AggregateException { InnerException: { } inner } ? inner : ex);
        }
    }

    /// <summary>Every public property, recursively, with the runtime type of each value (so "1" and 1 differ, and List and array).</summary>
    internal static string Dump(object? value)
    {
        var text = new StringBuilder();
        Write(value, text);
        return text.ToString();
    }

    private static void Write(object? value, StringBuilder text)
    {
        switch (value)
        {
            case null:
                text.Append("null");
                return;
            case string or bool or int or long or double or float or decimal:
                text.Append(value.GetType().Name).Append(':').Append(value);
                return;
            case IDictionary map:
                text.Append(map.GetType().Name).Append('{');
                foreach (DictionaryEntry entry in map)
                {
                    Write(entry.Key, text);
                    text.Append('=');
                    Write(entry.Value, text);
                    text.Append(';');
                }
                text.Append('}');
                return;
            case IEnumerable list:
                text.Append(list.GetType().Name).Append('[');
                foreach (var item in list)
                {
                    Write(item, text);
                    text.Append(',');
                }
                text.Append(']');
                return;
        }
        var type = value.GetType();
        text.Append(type.Name).Append('{');
        foreach (var property in type.GetProperties().OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            text.Append(property.Name).Append('=');
            Write(property.GetValue(value), text);
            text.Append(';');
        }
        text.Append('}');
    }
}
