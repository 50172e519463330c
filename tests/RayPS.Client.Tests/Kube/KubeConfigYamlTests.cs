using System.Text;
using RayPS.Kube;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RayPS.Client.Tests.Kube;

/// <summary>
/// KubeConfigYaml reads the YAML kubeconfigs are written in without YamlDotNet; whatever it accepts must give exactly the
/// tree YamlDotNet gives (structure, key order, scalar text and whether it was plain), and whatever YamlDotNet refuses it
/// must refuse too, so that YamlDotNet words the error.
/// </summary>
public sealed class KubeConfigYamlTests
{
    private const string KubectlWritten = """
        apiVersion: v1
        kind: Config
        clusters:
        - cluster:
            certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
            server: https://127.0.0.1:36169
          name: rayps-sandbox
        contexts:
        - context:
            cluster: rayps-sandbox
            namespace: default
            user: rayps-sandbox-admin
          name: rayps-sandbox
        current-context: rayps-sandbox
        preferences: {}
        users:
        - name: rayps-sandbox-admin
          user:
            token: c2VjcmV0LXRva2Vu.abc_DEF-123
        """;

    private const string CloudCli = """
        # written by a cloud CLI
        apiVersion: v1
        clusters:
          - cluster:
              server: "https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com"   # quoted, with a comment
              insecure-skip-tls-verify: false
              tls-server-name: 'api.example.com'
              proxy-url: http://proxy.corp:3128/#frag
            name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
        contexts:
          - context:
              cluster: arn:aws:eks:eu-west-1:123456789012:cluster/prod
              user: arn:aws:eks:eu-west-1:123456789012:cluster/prod
              namespace: "123"
            name: prod
        current-context: prod
        kind: Config
        preferences: {}
        users:
          - name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
            user:
              exec:
                apiVersion: client.authentication.k8s.io/v1beta1
                args:
                  - --region
                  - eu-west-1
                  - eks
                  - get-token
                  - --cluster-name
                  - "prod"
                command: aws
                env:
                  - name: AWS_PROFILE
                    value: "it's \"quoted\" \u00e9\t\\ \x41"
                  - name: EMPTY
                    value:
                  - name: TILDE
                    value: ~
                interactiveMode: IfAvailable
                provideClusterInfo: true
          - name: basic
            user:
              username: 'o''brien'
              password: p@ss:word#not-a-comment
          - name: empty-lists
            user:
              exec:
                command: ./bin/plugin
                args: []
                env:
        """;

    public static TheoryData<string, string> Accepted => new()
    {
        { "kubectl-written", KubectlWritten },
        { "cloud-cli", CloudCli },
        { "crlf", KubectlWritten.ReplaceLineEndings("\r\n") },
        { "document-start-only", "--- # empty\n" },
        { "document-start", "---\n" + KubectlWritten + "\n" },
        { "comments-only", "# nothing here\n\n   # still nothing\n" },
        { "empty", "" },
        { "indented-root", "  apiVersion: v1\n  kind: Config\n  clusters: []\n" },
        { "null-and-quoted-keys", "\"quoted key\": 1\n'single': two\nplain key: ~\nnull: null\n" },
        { "sequence-item-blocks", "users:\n-\n  name: a\n  user:\n    token: t\n- name: b\n" },
    };

    public static TheoryData<string, string> Refused => new()
    {
        { "anchor", "a: &x 1\nb: *x\n" },
        { "merge-key", "base: &b {x: 1}\nc:\n  <<: *b\n" },
        { "tag", "a: !!str 1\n" },
        { "block-scalar", "a: |\n  line one\n  line two\n" },
        { "folded", "a: >\n  folded\n" },
        { "flow-content", "a: {x: 1}\n" },
        { "flow-list", "args: [a, b]\n" },
        { "multi-line-plain", "installHint: Install the plugin\n  by following the docs\n" },
        { "multi-line-quoted", "a: \"one\n  two\"\n" },
        { "two-documents", "a: 1\n---\nb: 2\n" },
        { "directive", "%YAML 1.1\n---\na: 1\n" },
        { "tab-indent", "a:\n\tb: 1\n" },
        { "duplicate-key", "a: 1\na: 2\n" },
        { "duplicate-quoted-key", "a: 1\n\"a\": 2\n" },
        { "unterminated-quote", "a: \"open\n" },
        { "complex-key", "? a\n: b\n" },
        { "bad-indent", "a:\n    b: 1\n  c: 2\n" },
        { "colon-in-plain", "a: b: c\n" },
        { "scalar-root", "just a scalar\n" },
        { "junk-after-quote", "a: \"x\" y\n" },
        { "bad-escape", "a: \"\\q\"\n" },
        { "nested-items", "a:\n- - x\n" },
        { "byte-order-mark", "\uFEFFa: 1\n" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void Accepted_files_read_as_YamlDotNet_reads_them(string name, string text)
    {
        Assert.True(KubeConfigYaml.TryParse(text, out var root), name);
        Assert.Equal(Describe(YamlDotNetRoot(text, out _)), Describe(root));
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Other_YAML_is_left_to_YamlDotNet(string name, string text)
    {
        Assert.False(KubeConfigYaml.TryParse(text, out _), name);
    }

    [Theory]
    [MemberData(nameof(KubeConfigReaderTests.Files), MemberType = typeof(KubeConfigReaderTests))]
    public void The_reader_test_files_read_as_YamlDotNet_reads_them_when_accepted(string name, string text)
    {
        if (KubeConfigYaml.TryParse(text, out var root))
        {
            Assert.Equal(Describe(YamlDotNetRoot(text, out var failed)), Describe(root));
            Assert.False(failed, name);
        }
    }

    [Fact]
    public void A_typical_kubeconfig_of_the_reader_tests_is_accepted()
    {
        var typical = KubeConfigReaderTests.Files.Single(row => (string)row[0] == "typical")[1];
        Assert.True(KubeConfigYaml.TryParse((string)typical, out _));
    }

    /// <summary>Thousands of mutated kubeconfigs: each one accepted must be read as YamlDotNet reads it.</summary>
    [Fact]
    public void Mutated_kubeconfigs_accepted_are_read_as_YamlDotNet_reads_them()
    {
        var random = new Random(20261207);
        var pieces = new[] { " ", ":", ": ", "-", "- ", "#", " #", "'", "\"", "\n", "\r\n", "  ", "{}", "[]", "{", "[", "&a", "*a", "!", "|", ">", "\\", "\\n", "\\u00e9", "~", "null", "x", "é", "''", "?" };
        var bases = new[] { KubectlWritten, CloudCli };
        int accepted = 0, refusedByBoth = 0, compared = 0;
        for (var round = 0; round < 12000; round++)
        {
            var text = bases[round % bases.Length];
            var mutations = 1 + random.Next(3);
            for (var m = 0; m < mutations; m++)
            {
                var at = random.Next(text.Length + 1);
                text = random.Next(4) switch
                {
                    0 when text.Length > 0 => text.Remove(Math.Min(at, text.Length - 1), 1 + random.Next(Math.Min(3, text.Length - Math.Min(at, text.Length - 1)))),
                    1 => text.Insert(at, pieces[random.Next(pieces.Length)]),
                    2 => IndentLine(text, random),
                    _ => text.Insert(at, pieces[random.Next(pieces.Length)] + pieces[random.Next(pieces.Length)]),
                };
            }
            var expected = YamlDotNetRoot(text, out var yamlDotNetFailed);
            if (KubeConfigYaml.TryParse(text, out var root))
            {
                accepted++;
                Assert.False(yamlDotNetFailed, "accepted what YamlDotNet refuses:\n" + text);
                Assert.Equal(Describe(expected), Describe(root));
                compared++;
            }
            else if (yamlDotNetFailed)
            {
                refusedByBoth++;
            }
        }
        // The mutations must exercise both sides, or this test proves nothing.
        Assert.InRange(accepted, 1500, 12000);
        Assert.InRange(refusedByBoth, 1500, 12000);
        Assert.Equal(accepted, compared);
    }

    private static string IndentLine(string text, Random random)
    {
        var lines = text.Split('\n');
        var k = random.Next(lines.Length);
        lines[k] = random.Next(2) == 0 ? "  " + lines[k] : lines[k].TrimStart(' ');
        return string.Join('\n', lines);
    }

    private static YamlNode? YamlDotNetRoot(string text, out bool failed)
    {
        failed = false;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
        }
        catch (Exception)
        {
            // YamlException, and what YamlDotNet throws besides on some broken input (InvalidOperationException, ArgumentException).
            failed = true;
            return null;
        }
    }

    private static string Describe(YamlNode? node)
    {
        var text = new StringBuilder();
        Describe(node, text);
        return text.ToString();
    }

    private static void Describe(YamlNode? node, StringBuilder text)
    {
        switch (node)
        {
            case null:
                text.Append("(none)");
                break;
            case YamlScalarNode { Value: "" or null, Style: ScalarStyle.Plain } when node.Tag.IsEmpty:
                text.Append("P:");
                break;
            case YamlScalarNode scalar:
                text.Append(scalar.Tag.IsEmpty ? "" : "TAG").Append(scalar.Style == ScalarStyle.Plain ? "P:" : "Q:").Append(scalar.Value);
                break;
            case YamlMappingNode mapping:
                text.Append('{');
                foreach (var (key, value) in mapping.Children)
                {
                    text.Append(((YamlScalarNode)key).Value).Append('=');
                    Describe(value, text);
                    text.Append(';');
                }
                text.Append('}');
                break;
            case YamlSequenceNode sequence:
                text.Append('[');
                foreach (var item in sequence.Children)
                {
                    Describe(item, text);
                    text.Append(',');
                }
                text.Append(']');
                break;
            default:
                text.Append("OTHER");
                break;
        }
    }

    private static string Describe(YamlLiteNode? node)
    {
        var text = new StringBuilder();
        Describe(node, text);
        return text.ToString();
    }

    private static void Describe(YamlLiteNode? node, StringBuilder text)
    {
        switch (node)
        {
            case null:
                text.Append("(none)");
                break;
            case YamlLiteScalar scalar:
                text.Append(scalar.Plain ? "P:" : "Q:").Append(scalar.Value);
                break;
            case YamlLiteMapping mapping:
                text.Append('{');
                foreach (var (key, value) in mapping.Entries)
                {
                    text.Append(key).Append('=');
                    Describe(value, text);
                    text.Append(';');
                }
                text.Append('}');
                break;
            case YamlLiteSequence sequence:
                text.Append('[');
                foreach (var item in sequence.Items)
                {
                    Describe(item, text);
                    text.Append(',');
                }
                text.Append(']');
                break;
        }
    }
}
