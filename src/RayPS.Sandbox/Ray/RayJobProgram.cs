using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;

namespace RayPS.Sandbox.Ray;

/// <summary>
/// What a simulated job does, read in order from its entrypoint and, when the entrypoint runs a script
/// (<c>python x.py</c>, <c>bash x.sh</c>) that its uploaded working_dir holds, from that script: <c>echo ...</c> and
/// <c>print('...')</c> write a log line, <c>sleep N</c> / <c>time.sleep(N)</c> let N simulated seconds pass,
/// <c>exit N</c> / <c>sys.exit(N)</c> end with that code, <c>raise</c> ends with code 1. Lines appear in the log when
/// their time comes, so the log grows while the job runs.
/// </summary>
internal sealed partial class RayJobProgram
{
    public sealed record Output(double AtSeconds, string Text);

    public List<Output> Outputs { get; } = [];

    /// <summary>Simulated seconds the program sleeps; null when it never sleeps (then it runs the default time).</summary>
    public double? Seconds { get; private set; }

    public int ExitCode { get; private set; }

    public bool Raises { get; private set; }

    [GeneratedRegex(@"(?<sleep>(?:\bsleep\s+|time\.sleep\(\s*)(?<n>\d+(?:\.\d+)?))|(?<exit>(?:\bexit\s+|sys\.exit\(\s*)(?<code>\d+))|\becho\s+(?:'(?<e1>[^']*)'|""(?<e2>[^""]*)""|(?<e3>[^;&|\n]*))|print\(\s*(?:'(?<p1>[^']*)'|""(?<p2>[^""]*)"")\s*\)|(?<raise>\braise\b)")]
    private static partial Regex Step();

    [GeneratedRegex(@"\b(?:python3?|bash|sh)\s+(?:-u\s+)?(?<script>[\w./-]+\.(?:py|sh))")]
    private static partial Regex ScriptCall();

    public static RayJobProgram Parse(string entrypoint, Func<string, string?> readScript)
    {
        var program = new RayJobProgram();
        var clock = 0.0;
        var slept = false;
        var ended = false;
        void Run(string text)
        {
            foreach (Match m in Step().Matches(text))
            {
                if (ended)
                {
                    return;
                }
                if (m.Groups["sleep"].Success)
                {
                    clock += double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
                    slept = true;
                }
                else if (m.Groups["exit"].Success)
                {
                    var code = int.Parse(m.Groups["code"].Value, CultureInfo.InvariantCulture);
                    if (code != 0)
                    {
                        program.ExitCode = code;
                        ended = true;
                    }
                }
                else if (m.Groups["raise"].Success)
                {
                    program.ExitCode = 1;
                    program.Raises = true;
                    ended = true;
                }
                else
                {
                    var line = m.Groups["e1"].Success ? m.Groups["e1"].Value
                        : m.Groups["e2"].Success ? m.Groups["e2"].Value
                        : m.Groups["e3"].Success ? m.Groups["e3"].Value.Trim()
                        : m.Groups["p1"].Success ? m.Groups["p1"].Value : m.Groups["p2"].Value;
                    program.Outputs.Add(new Output(clock, line));
                }
            }
        }

        // The entrypoint runs in order; a script it calls runs where the call is.
        var position = 0;
        foreach (Match call in ScriptCall().Matches(entrypoint))
        {
            Run(entrypoint[position..call.Index]);
            if (readScript(call.Groups["script"].Value) is { } script)
            {
                Run(script);
            }
            position = call.Index + call.Length;
        }
        Run(entrypoint[position..]);
        program.Seconds = slept ? clock : null;
        return program;
    }

    /// <summary>A file of a stored working_dir package (a zip), or null.</summary>
    public static string? ReadFromPackage(byte[]? package, string path)
    {
        if (package is null)
        {
            return null;
        }
        var name = path.StartsWith("./", StringComparison.Ordinal) ? path[2..] : path;
        try
        {
            using var zip = new ZipArchive(new MemoryStream(package), ZipArchiveMode.Read);
            var entry = zip.GetEntry(name);
            if (entry is null)
            {
                return null;
            }
            using var reader = new StreamReader(entry.Open());
            return reader.ReadToEnd();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
