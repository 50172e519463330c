using RayPS.Errors;
using RayPS.Kube;
using RayPS.Sandbox;

namespace RayPS.Client.Tests.Kube;

/// <summary>
/// The loader reads each kubeconfig once: the tree it parses to check the syntax is mapped to the model directly when that
/// gives the deserializer's values for certain, and the file goes to the deserializer otherwise. Every file here is read
/// both ways (the single-pass read, and the deserializer alone as before) and the outcomes must be equal, field by field
/// with the runtime types, or the same error; each row also says which way it must have been read.
/// </summary>
public sealed class KubeConfigTreeMapperTests : IDisposable
{
    private const string Fast = "tree";
    private const string Deserializer = "deserializer";
    private const string Empty = "empty";
    private const string Invalid = "invalid";

    private readonly string _dir = Directory.CreateTempSubdirectory("rayps-kctm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>How KubeConfigReaderTests' files must be read.</summary>
    private static readonly Dictionary<string, string> ReaderFileRoutes = new()
    {
        ["typical"] = Fast,
        ["every field"] = Deserializer, // numbers in preferences and in an extension: untyped values the tree leaves alone
        ["merge keys and anchors"] = Deserializer,
        ["scalars typed loosely"] = Fast,
        ["json"] = Fast,
        ["unknown fields everywhere"] = Fast,
        ["duplicate keys"] = Invalid,
        ["two documents"] = Deserializer,
        ["empty"] = Empty,
        ["whitespace"] = Empty,
        ["comment only"] = Empty,
        ["document marker only"] = Empty,
        ["explicit null document"] = Invalid,
        ["a scalar"] = Invalid,
        ["a list"] = Invalid,
        ["broken flow"] = Invalid,
        ["bad indentation"] = Invalid,
        ["clusters is a string"] = Deserializer,
        ["clusters is a map"] = Deserializer,
        ["bool that is not"] = Deserializer,
        ["env is not a list"] = Deserializer,
        ["tab indentation"] = Invalid,
        ["undefined alias"] = Invalid,
    };

    private static string Cluster(string fields) => "clusters:\n- name: c\n  cluster:\n" + Indent(fields, 4);

    private static string User(string fields) => "users:\n- name: u\n  user:\n" + Indent(fields, 4);

    private static string Indent(string lines, int spaces) =>
        string.Concat(lines.Split('\n').Where(l => l.Length > 0).Select(l => new string(' ', spaces) + l + "\n"));

    public static TheoryData<string, string, string> MoreFiles => new()
    {
        { "kubectl-written", """
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
                server: https://127.0.0.1:39373
              name: kind-kind
            contexts:
            - context:
                cluster: kind-kind
                user: kind-kind
              name: kind-kind
            current-context: kind-kind
            kind: Config
            preferences: {}
            users:
            - name: kind-kind
              user:
                client-certificate-data: LS0tLS1CRUdJTiBDRVJU
                client-key-data: LS0tLS1CRUdJTiBSU0Eg

            """, Fast },
        { "string fields from plain numbers and words", Cluster("server: https://x:6443\ntls-server-name: 123\ncertificate-authority: 1.5e3\n") +
            "contexts:\n- name: 0x1F\n  context: {cluster: true, user: no, namespace: 123}\ncurrent-context: .inf\n", Fast },
        { "token empty", User("token:\n"), Fast },
        { "token tilde", User("token: ~\n"), Fast },
        { "token null words", User("token: null\nusername: Null\npassword: NULL\nas: nULL\n"), Fast },
        { "token quoted", User("token: \"abc\"\nusername: 'null'\npassword: \"~\"\nas: ''\nclient-key: \"\"\n"), Fast },
        { "skip tls true", Cluster("insecure-skip-tls-verify: true\n"), Fast },
        { "skip tls quoted true", Cluster("insecure-skip-tls-verify: \"true\"\n"), Fast },
        { "skip tls yes", Cluster("insecure-skip-tls-verify: yes\n"), Fast },
        { "skip tls Y and ON", Cluster("insecure-skip-tls-verify: Y\n") + "- name: d\n  cluster: {insecure-skip-tls-verify: ON}\n", Fast },
        { "skip tls false words", Cluster("insecure-skip-tls-verify: off\n") + "- name: d\n  cluster: {insecure-skip-tls-verify: No}\n- name: e\n  cluster: {insecure-skip-tls-verify: 'FALSE'}\n", Fast },
        { "skip tls literal block", Cluster("insecure-skip-tls-verify: |\n  true\n"), Fast },
        { "skip tls literal block kept newlines", "clusters:\n- name: c\n  cluster:\n    insecure-skip-tls-verify: |+\n      true\n\n", Deserializer },
        { "skip tls empty", Cluster("insecure-skip-tls-verify:\n"), Deserializer },
        { "skip tls tilde", Cluster("insecure-skip-tls-verify: ~\n"), Deserializer },
        { "skip tls quoted empty", Cluster("insecure-skip-tls-verify: ''\n"), Deserializer },
        { "skip tls 1", Cluster("insecure-skip-tls-verify: 1\n"), Deserializer },
        { "provideClusterInfo words", User("exec:\n  command: c\n  provideClusterInfo: yes\n") +
            "- name: v\n  user: {exec: {command: d, provideClusterInfo: \"false\"}}\n", Fast },
        { "exec with env", User("""
            exec:
              apiVersion: client.authentication.k8s.io/v1beta1
              command: aws
              args:
              - eks
              - get-token
              - --cluster-name
              - "123"
              - ~
              env:
              - name: AWS_PROFILE
                value: prod
              - {name: EMPTY, value: }
              - {name: QUOTED, value: "42"}
              - {value: only-value}
              - ~
              installHint: |
                Install the aws CLI:
                  https://aws.amazon.com/cli/
              provideClusterInfo: false
              interactiveMode: IfAvailable
            """), Fast },
        { "exec with empty lists", User("exec: {command: c, args: [], env: []}\n"), Fast },
        { "exec env null", User("exec: {command: c, args: null, env: ~}\n"), Fast },
        { "exec args is a string", User("exec: {command: c, args: one}\n"), Deserializer },
        { "exec env item is a string", User("exec: {command: c, env: [A=b]}\n"), Deserializer },
        { "auth-provider", User("""
            auth-provider:
              name: oidc
              config:
                client-id: kubernetes
                client-secret: "12345"
                id-token: eyJhbGciOiJSUzI1NiJ9.e30.c2ln
                idp-issuer-url: https://accounts.example.com
                refresh-token: ~
                ~: tilde-key
                "": empty-key
            """), Fast },
        { "auth-provider config is a list", User("auth-provider: {name: x, config: [a]}\n"), Deserializer },
        { "impersonation", User("as: admin\nas-groups: [system:masters, \"2\", ~]\nas-user-extra: {reason: [x]}\n"), Deserializer },
        { "impersonation plain", User("as: admin\nas-groups: [system:masters, \"2\", ~]\nas-user-extra: {reason: incident, ticket: 42}\n"), Fast },
        { "block scalars", Cluster("""
            certificate-authority-data: |
              LS0tLS1CRUdJTiBDRVJU
              SUZJQ0FURS0tLS0t
            server: >
              https://folded.example
              :6443
            tls-server-name: |-
              strip
            certificate-authority: >+
              keep

            """) + "users:\n- name: u\n  user:\n    token: |\n\n    username: >\n    password: |-\n", Fast },
        { "flow style", "{clusters: [{name: f, cluster: {server: 'https://f', extensions: []}}], users: [], contexts: [{name: f, context: {}}], preferences: {}}\n", Fast },
        { "comments", "# written by hand\napiVersion: v1 # the version\nclusters: # none yet\n- name: a # first\n  cluster:\n    # the server\n    server: https://a # inline\n", Fast },
        { "quoted keys", "\"clusters\":\n- 'name': q\n  \"cluster\": {\"server\": s, 'insecure-skip-tls-verify': true}\n'current-context': q\n", Fast },
        { "case matters in keys", "Clusters:\n- name: a\ncurrent-Context: x\nAPIVersion: v\n", Fast },
        { "crlf line endings", "apiVersion: v1\r\nclusters:\r\n- name: crlf\r\n  cluster:\r\n    server: https://crlf\r\n    certificate-authority-data: |\r\n      QUJD\r\n      REVG\r\ncurrent-context: crlf\r\n", Fast },
        { "byte order mark", "\uFEFFapiVersion: v1\nkind: Config\ncurrent-context: bom\nclusters:\n- name: bom\n  cluster: {server: https://bom}\n", Fast },
        { "empty lists", "clusters: []\nusers: []\ncontexts: []\nextensions: []\n", Fast },
        { "clusters null", "clusters: null\nusers: ~\ncontexts:\nextensions: Null\npreferences: ~\n", Fast },
        { "null list items", "clusters:\n- ~\n-\n- name: x\nusers: [null, {name: u}]\ncontexts: [{name: c, context: ~}]\n", Fast },
        { "null nested entries", "clusters:\n- name: c\n  cluster:\nusers:\n- name: u\n  user: {exec: null, auth-provider: ~}\n", Fast },
        { "keys in any order", "users:\n- user: {token: t}\n  name: u\ncurrent-context: c\ncontexts:\n- context: {user: u, cluster: c, namespace: n}\n  name: c\nclusters:\n- cluster: {server: s}\n  name: c\napiVersion: v1\n", Fast },
        { "context namespace outside details", "contexts:\n- name: c\n  namespace: outer\n  context: {namespace: inner}\n", Fast },
        { "preferences and extensions of words", """
            preferences:
              colors: true
              nested: {a: [two, "3", null, FALSE, ~, Yes, NULL, Null, True, false, TRUE, "", nuLL], 1: key-with-digit, ~: tilde-key}
            extensions:
            - name: top
              extension:
                provider: example
                flag: True
                quoted: '42'
                literal-word: |
                  TRUE
                literal-empty: |
                folded: >
                  text
            clusters:
            - name: c
              cluster:
                server: https://c
                extensions:
                - name: client.authentication.k8s.io/exec
                  extension: {audience: sts, list: [a, b], empty: ""}
            contexts:
            - name: c
              context: {cluster: c, extensions: [{name: e, extension: v}]}
            """, Fast },
        { "extension with a version number", """
            clusters:
            - name: minikube
              cluster:
                server: https://192.168.49.2:8443
                extensions:
                - name: cluster_info
                  extension:
                    last-update: Mon, 07 Dec 2026 16:00:00 UTC
                    provider: minikube.sigs.k8s.io
                    version: v1.32.0
            """, Fast },
        { "preferences of text with digits", "preferences: {a: v2, b: 1.2.3-rc1, c: 10Gi, d: 2026-12-07T16:00:00Z, e: 0x1g, f: 1 2 3 go}\n", Fast },
        { "preferences number", "preferences: {width: 80}\n", Deserializer },
        { "preferences hexadecimal", "preferences: {x: 0x1F}\n", Deserializer },
        { "preferences octal", "preferences: {x: 0o17}\n", Deserializer },
        { "preferences grouped digits", "preferences: {x: 1_000}\n", Deserializer },
        { "preferences exponent", "preferences: {x: 1e3}\n", Deserializer },
        { "preferences digits and hex letters", "preferences: {x: 12abc}\n", Deserializer },
        { "preferences literal number", "preferences:\n  x: |\n    12\n", Deserializer },
        { "preferences negative infinity", "preferences: {x: -.INF}\n", Deserializer },
        { "preferences infinity spelled out", "preferences: {x: Infinity9}\n", Deserializer },
        { "preferences not a number", "preferences: {x: .NaN}\n", Deserializer },
        { "preferences infinity word", "preferences: {x: .inf}\n", Deserializer },
        { "preferences is a list", "preferences: [a]\n", Deserializer },
        { "tag on a value", Cluster("server: !!str 123\n"), Deserializer },
        { "tag on a mapping", "clusters:\n- !cluster\n  name: t\n", Deserializer },
        { "anchor only", "current-context: &c a\n", Deserializer },
        { "merge key without alias", Cluster("<<: {server: https://merged}\ntls-server-name: t\n"), Deserializer },
        { "complex key", "? [a, b]\n: c\nclusters: []\n", Deserializer },
        { "scalar where a mapping belongs", "clusters:\n- name: s\n  cluster: https://x\n", Deserializer },
        { "mapping where a scalar belongs", Cluster("server: {url: https://x}\n"), Deserializer },
        { "list where a scalar belongs", "current-context: [a]\n", Deserializer },
        { "scalar item where an entry belongs", "clusters: [just-a-name]\n", Deserializer },
        { "unicode", Cluster("server: https://ünïcode.example\n") + "current-context: \"caf\\u00e9\"\n", Fast },
        { "duplicate names in a file", "clusters:\n- name: d\n  cluster: {server: one}\n- name: d\n  cluster: {server: two}\n", Fast },
        { "two documents with a separator", "current-context: a\n...\n---\ncurrent-context: b\n", Deserializer },
        { "document end marker", "current-context: a\n...\n", Fast },
    };

    public static TheoryData<string, string, string> AllFiles
    {
        get
        {
            var all = new TheoryData<string, string, string>();
            foreach (var row in KubeConfigReaderTests.Files)
            {
                all.Add((string)row[0], (string)row[1], ReaderFileRoutes[(string)row[0]]);
            }
            foreach (var row in MoreFiles)
            {
                all.Add((string)row[0], (string)row[1], (string)row[2]);
            }
            return all;
        }
    }

    [Fact]
    public void Every_file_of_the_reader_tests_has_a_route()
    {
        Assert.Equal(KubeConfigReaderTests.Files.Select(row => (string)row[0]).Order(), ReaderFileRoutes.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Reads_a_file_once_with_the_deserializers_values(string name, string text, string route)
    {
        var path = Path.Combine(_dir, name.Replace(' ', '-'));
        File.WriteAllText(path, text);

        var expected = Outcome(() => KubeConfigLoader.ReadFile(path, deserializerOnly: true));
        var actual = Outcome(() => KubeConfigLoader.ReadFile(path));

        Assert.Equal(expected.Dump, actual.Dump);
        Assert.Equal(route, actual.Route);
        Assert.Equal(route == Fast ? Deserializer : route, expected.Route);
        if (route == Fast)
        {
            // The tree's model is also what KubernetesClient's own loader makes of the file.
            Assert.Equal(KubeConfigReaderTests.Dump(k8s.KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path), useRelativePaths: true)), actual.Dump);
        }
    }

    [Fact]
    public void Merging_files_gives_what_the_deserializer_gave()
    {
        var first = Path.Combine(_dir, "first");
        var second = Path.Combine(_dir, "second");
        var third = Path.Combine(_dir, "third");
        // Block style as kubectl writes it (read without YamlStream), then flow style (read with it).
        File.WriteAllText(first, """
            clusters:
            - name: shared
              cluster:
                server: https://first
                certificate-authority: ca.crt
                proxy-url: socks5://first:1080
                extensions:
                - name: client.authentication.k8s.io/exec
                  extension:
                    audience: sts
            users:
            - name: u
              user:
                client-certificate: c.crt
                client-key: c.key
                exec:
                  command: ./bin/plugin
                  interactiveMode: IfAvailable
            contexts:
            - name: a
              context:
                cluster: shared
                user: u
            """);
        File.WriteAllText(second, "current-context: b\nclusters:\n- name: shared\n  cluster: {server: https://second, proxy-url: http://ignored}\n- name: own\n  cluster: {server: https://own, proxy-url: http://proxy:3128}\n" +
            "users:\n- name: u\n  user: {token: ignored}\n- name: v\n  user: {token: t, exec: {command: c, interactiveMode: Never}}\ncontexts:\n- name: a\n  context: {cluster: own}\n- name: b\n  context: {cluster: own, user: v}\n");
        File.WriteAllText(third, "");
        var paths = new[] { first, third, second };

        var (expected, expectedExtras) = KubeConfigLoader.LoadMergedWithExtras(paths, deserializerOnly: true);
        var (actual, actualExtras) = KubeConfigLoader.LoadMergedWithExtras(paths);

        Assert.Equal(KubeConfigReaderTests.Dump(expected), KubeConfigReaderTests.Dump(actual));
        Assert.Equal(new[] { "shared", "own" }, actual.Clusters.Select(c => c.Name));
        Assert.Equal("https://first", actual.Clusters.First().ClusterEndpoint.Server);
        Assert.Equal(Path.Combine(_dir, "ca.crt"), actual.Clusters.First().ClusterEndpoint.CertificateAuthority);
        Assert.Equal(Path.Combine(_dir, "bin", "plugin"), actual.Users.First().UserCredentials.ExternalExecution.Command);
        Assert.Equal("b", actual.CurrentContext);
        Assert.NotNull(BlockYamlReader.TryRead(File.ReadAllText(first)));
        Assert.Equal("socks5://first:1080", actualExtras.ProxyUrl("shared"));
        Assert.Equal("""{"audience":"sts"}""", actualExtras.ExecExtension("shared")!.ToJsonString());
        Assert.Equal("IfAvailable", actualExtras.InteractiveMode("u"));
        Assert.Equal(expectedExtras.ExecExtension("shared")!.ToJsonString(), actualExtras.ExecExtension("shared")!.ToJsonString());
        Assert.Equal(expectedExtras.ProxyUrl("own"), actualExtras.ProxyUrl("own"));
        Assert.Equal("http://proxy:3128", actualExtras.ProxyUrl("own"));
        Assert.Equal("Never", actualExtras.InteractiveMode("v"));
    }

    [Fact]
    public async Task The_sandbox_kubeconfig_is_read_from_the_tree()
    {
        await using var sandbox = await KubeSandbox.StartAsync(new SandboxOptions { Controllers = SandboxControllers.None });

        var read = KubeConfigLoader.ReadFile(sandbox.KubeConfigPath);

        // Parsed without YamlDotNet's parser, and mapped without its deserializer.
        Assert.NotNull(BlockYamlReader.TryRead(File.ReadAllText(sandbox.KubeConfigPath)));

        Assert.NotNull(read);
        Assert.False(read.ByDeserializer);
        Assert.Equal(KubeConfigReaderTests.Dump(KubeConfigReader.Load(sandbox.KubeConfigPath)), KubeConfigReaderTests.Dump(read.Config));
        Assert.Equal(sandbox.Context, read.Config.CurrentContext);
        Assert.Equal(2, read.Config.Users.Count());
    }

    private sealed record Read(string Route, string Dump);

    private static Read Outcome(Func<KubeConfigFileRead?> read)
    {
        try
        {
            return read() is { } file
                ? new Read(file.ByDeserializer ? Deserializer : Fast, KubeConfigReaderTests.Dump(file.Config))
                : new Read(Empty, "null");
        }
        catch (RayPSException ex) when (ex.Message.Contains("not valid YAML") || ex.Message.Contains("is not a kubeconfig"))
        {
            return new Read(Invalid, $"{ex.ErrorId}: {ex.Message}");
        }
        catch (RayPSException ex)
        {
            // The deserializer read the file and failed: the same error both ways.
            return new Read(Deserializer, $"{ex.ErrorId}: {ex.Message}");
        }
    }
}
