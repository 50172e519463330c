using System.Text;
using RayPS.Kube;
using YamlDotNet.Core;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace RayPS.Client.Tests.Kube;

/// <summary>
/// BlockYamlReader reads kubectl's plain block YAML without YamlDotNet's parser: whatever it accepts must be exactly the
/// tree YamlStream builds (node kinds, values, styles, key order), and anything YamlStream rejects it must leave alone.
/// </summary>
public sealed class BlockYamlReaderTests(ITestOutputHelper output)
{
    /// <summary>The kubeconfig rows written in the plain block form, which the reader must take.</summary>
    private static readonly string[] BlockRows =
    [
        "typical", "kubectl-written", "token empty", "token tilde", "token null words", "skip tls true", "skip tls yes",
        "skip tls empty", "skip tls tilde", "skip tls 1", "extension with a version number", "clusters null",
        "clusters is a string", "scalar where a mapping belongs", "case matters in keys", "empty lists",
    ];

    [Theory]
    [MemberData(nameof(KubeConfigTreeMapperTests.AllFiles), MemberType = typeof(KubeConfigTreeMapperTests))]
    public void Reads_a_kubeconfig_row_as_YamlStream_does_or_not_at_all(string name, string text, string route)
    {
        _ = route;
        var read = BlockYamlReader.TryRead(text);
        if (read is not null)
        {
            Assert.Equal(YamlStreamRoot(text), Dump(read));
        }
        Assert.Equal(BlockRows.Contains(name), read is not null);
    }

    [Fact]
    public void Every_block_row_exists()
    {
        var names = KubeConfigTreeMapperTests.AllFiles.Select(row => (string)row[0]).ToHashSet();
        Assert.All(BlockRows, row => Assert.Contains(row, names));
    }

    [Fact]
    public void Reads_generated_documents_as_YamlStream_does_or_not_at_all()
    {
        var random = new Random(20261207);
        var accepted = 0;
        var rejectedValid = 0;
        for (var i = 0; i < 3000; i++)
        {
            var text = Generate(random, tricky: i % 3 != 0, corrupt: i % 5 == 4);
            var expected = YamlStreamRoot(text);
            var read = BlockYamlReader.TryRead(text);
            if (read is null)
            {
                if (!expected.StartsWith("error", StringComparison.Ordinal)) rejectedValid++;
                continue;
            }
            accepted++;
            Assert.True(expected == Dump(read), $"document {i}:\n{text}\nYamlStream: {expected}\nreader:     {Dump(read)}");
        }
        output.WriteLine($"read {accepted} documents; left {rejectedValid} valid ones to YamlStream");
        // Both outcomes are exercised: most plain documents are read, and tricky ones are left to YamlStream.
        Assert.InRange(accepted, 900, 3000);
        Assert.InRange(rejectedValid, 100, 3000);
    }

    /// <summary>
    /// Real kubeconfigs (every block row) with one to three random edits each (characters removed or inserted, lines
    /// indented or outdented): each one the reader accepts must be read exactly as YamlStream reads it.
    /// </summary>
    [Fact]
    public void Reads_mutated_kubeconfigs_as_YamlStream_does_or_not_at_all()
    {
        var bases = KubeConfigTreeMapperTests.AllFiles.Where(row => BlockRows.Contains((string)row[0])).Select(row => (string)row[1]).ToArray();
        var pieces = new[] { " ", ":", ": ", "-", "- ", "#", " #", "'", "\"", "\n", "  ", "{}", "[]", "{", "[", "&a", "*a", "!", "|", ">", "\\", "~", "x", "é", "?", "<<: " };
        var random = new Random(1207);
        var accepted = 0;
        var refusedByBoth = 0;
        for (var i = 0; i < 6000; i++)
        {
            var text = bases[i % bases.Length];
            for (var edits = 1 + random.Next(3); edits > 0; edits--)
            {
                var at = random.Next(text.Length + 1);
                text = random.Next(3) switch
                {
                    0 when text.Length > 1 => text.Remove(Math.Min(at, text.Length - 1), 1),
                    1 => text.Insert(at, pieces[random.Next(pieces.Length)]),
                    _ => Reindent(text, random),
                };
            }
            var expected = YamlStreamRoot(text);
            var read = BlockYamlReader.TryRead(text);
            if (read is null)
            {
                if (expected.StartsWith("error", StringComparison.Ordinal)) refusedByBoth++;
                continue;
            }
            accepted++;
            Assert.True(expected == Dump(read), $"mutation {i}:\n{text}\nYamlStream: {expected}\nreader:     {Dump(read)}");
        }
        output.WriteLine($"accepted {accepted}, refused by both {refusedByBoth} of 6000");
        // Both sides must be exercised, or this proves nothing.
        Assert.InRange(accepted, 500, 6000);
        Assert.InRange(refusedByBoth, 500, 6000);
    }

    private static string Reindent(string text, Random random)
    {
        var lines = text.Split('\n');
        var k = random.Next(lines.Length);
        lines[k] = random.Next(2) == 0 ? "  " + lines[k] : lines[k].TrimStart(' ');
        return string.Join('\n', lines);
    }

    private static readonly string[] PlainWords =
    [
        "v1", "Config", "https://127.0.0.1:6443", "LS0tLS1CRUdJTiBDRVJU+/=", "~", "null", "true", "123", "1.5", "-1", "--flag",
        "a b", "a  b", "C:\\Users\\me\\.kube\\ca.crt", "x,y", "a:b", "user@example", "50%", "0x1F", "_x", ".hidden", "/abs/path",
        "=", "+1", "Mon, 07 Dec 2026 16:00:00 UTC", "system:masters",
    ];

    private static readonly string[] TrickyWords =
    [
        "a: b", "a:", ":a", "- a", "-", "#c", "a #c", "'q'", "\"q\"", "{}", "[]", "[a]", "{a: b}", "@x", "%x", ",x", "...", "---",
        "!t", "&a", "*a", "|", ">", "? x", "<<", "a\tb", "é", "a ", "key: [x]", "`x",
    ];

    private static readonly string[] PlainKeys = ["name", "server", "certificate-authority-data", "a.b/c", "1", "k_2", "user", "x"];

    private static readonly string[] TrickyKeys = ["<<", "~", "a b", "k:", "---", "-k", "\"q\"", "'q'", "é", "?x", "k#"];

    private static string Generate(Random random, bool tricky, bool corrupt)
    {
        var text = new StringBuilder();
        if (random.Next(10) == 0) text.Append("# a comment\n");
        WriteMapping(text, random, 0, depth: 0, tricky, firstLinePrefix: null);
        var result = text.ToString();
        if (corrupt && result.Length > 2)
        {
            var at = random.Next(result.Length);
            result = random.Next(3) switch
            {
                0 => result.Remove(at, 1),
                1 => result.Insert(at, " "),
                _ => result.Insert(at, random.Next(2) == 0 ? "\n  " : ":"),
            };
        }
        return result;
    }

    private static string Pick(Random random, string[] plain, string[] odd, bool tricky) =>
        tricky && random.Next(8) == 0 ? odd[random.Next(odd.Length)] : plain[random.Next(plain.Length)];

    /// <summary>A block mapping at <paramref name="indent"/>; its first line may follow a "- " already written.</summary>
    private static void WriteMapping(StringBuilder text, Random random, int indent, int depth, bool tricky, string? firstLinePrefix)
    {
        var count = 1 + random.Next(4);
        var keys = new HashSet<string>();
        for (var i = 0; i < count; i++)
        {
            var key = Pick(random, PlainKeys, TrickyKeys, tricky);
            if (!keys.Add(key) && random.Next(4) != 0) continue; // duplicates now and then
            if (i == 0 && firstLinePrefix is not null) text.Append(firstLinePrefix);
            else text.Append(' ', indent);
            text.Append(key).Append(':');
            var kind = depth >= 3 ? 0 : random.Next(6);
            switch (kind)
            {
                case 0 or 1 or 2:
                    text.Append(' ').Append(Pick(random, PlainWords, TrickyWords, tricky));
                    if (random.Next(10) == 0) text.Append("  ");
                    text.Append('\n');
                    break;
                case 3:
                    text.Append(random.Next(3) == 0 ? " {}\n" : random.Next(2) == 0 ? " []\n" : "\n");
                    break;
                case 4:
                    text.Append('\n');
                    WriteMapping(text, random, indent + 1 + random.Next(3), depth + 1, tricky, null);
                    break;
                default:
                    text.Append('\n');
                    WriteSequence(text, random, random.Next(2) == 0 ? indent : indent + 2, depth + 1, tricky);
                    break;
            }
            if (random.Next(12) == 0) text.Append(' ', random.Next(4)).Append(random.Next(2) == 0 ? "# note\n" : "\n");
        }
    }

    private static void WriteSequence(StringBuilder text, Random random, int indent, int depth, bool tricky)
    {
        var count = 1 + random.Next(3);
        for (var i = 0; i < count; i++)
        {
            var spaces = random.Next(6) == 0 ? 2 : 1;
            var prefix = new string(' ', indent) + "-" + new string(' ', spaces);
            if (random.Next(2) == 0 && depth < 3)
            {
                WriteMapping(text, random, indent + 1 + spaces, depth + 1, tricky, prefix);
            }
            else
            {
                text.Append(prefix).Append(Pick(random, PlainWords, TrickyWords, tricky)).Append('\n');
            }
        }
    }

    private static string YamlStreamRoot(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (Exception ex) when (ex is YamlException or ArgumentException or InvalidOperationException)
        {
            // InvalidOperationException: YamlDotNet's scanner on some broken input (KubeConfigLoader maps it too).
            return "error " + ex.GetType().Name;
        }
        return stream.Documents.Count == 1 && stream.Documents[0].RootNode is YamlMappingNode root ? Dump(root) : "not one mapping";
    }

    private static string Dump(YamlNode node)
    {
        var text = new StringBuilder();
        Write(node, text);
        return text.ToString();
    }

    private static void Write(YamlNode node, StringBuilder text)
    {
        text.Append('<').Append(node.Anchor.IsEmpty ? "" : node.Anchor.Value).Append('|').Append(node.Tag.IsEmpty ? "" : node.Tag.Value).Append('>');
        switch (node)
        {
            case YamlScalarNode scalar:
                text.Append("scalar:").Append(scalar.Style).Append(':').Append(scalar.Value?.Replace("\n", "\\n")).Append(';');
                break;
            case YamlSequenceNode sequence:
                text.Append("seq:").Append(sequence.Style).Append('[');
                foreach (var item in sequence.Children) Write(item, text);
                text.Append(']');
                break;
            case YamlMappingNode mapping:
                text.Append("map:").Append(mapping.Style).Append('{');
                foreach (var (key, value) in mapping.Children)
                {
                    Write(key, text);
                    text.Append('=');
                    Write(value, text);
                }
                text.Append('}');
                break;
        }
    }
}
