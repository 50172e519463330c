using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RayPS.Errors;

namespace RayPS.Kube;

/// <summary>What an exec credential plugin returned: a bearer token and/or a client certificate, valid until <see cref="Expiry"/> (null: until a 401).</summary>
public sealed record ExecCredential(string? Token, string? ClientCertificatePem, string? ClientKeyPem, DateTimeOffset? Expiry)
{
    public bool HasClientCertificate => ClientCertificatePem is not null && ClientKeyPem is not null;

    public bool IsExpired(DateTimeOffset now) => Expiry is { } expiry && now >= expiry;
}

/// <summary>How a plugin is started: the program, and either whole arguments or (cmd.exe only) a pre-quoted command line.</summary>
public sealed record ExecLaunch(string FileName, IReadOnlyList<string> ArgumentList, string? CommandLine);

/// <summary>
/// Finds and runs exec credential plugins the way kubectl does: PATH (and on Windows PATHEXT) lookup, arguments kept whole,
/// the user's environment plus the plugin's <c>env</c> and <c>KUBERNETES_EXEC_INFO</c>, stdin only in interactive mode,
/// and the answer checked against the ExecCredential spec. On Windows, .cmd/.bat plugins run through <c>cmd.exe /d /s /c</c>
/// and .ps1 plugins through pwsh. The plugin shares the console (Ctrl+C reaches it); cancelling or timing out kills its
/// whole process tree. Never echoes the plugin's standard output (it holds the token); its stderr is quoted in errors.
/// </summary>
public static class ExecPluginRunner
{
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);
    public static TimeSpan InteractiveTimeout { get; set; } = TimeSpan.FromMinutes(10);

    private const int StderrQuoteLimit = 2000;

    /// <summary>Whether this plugin runs interactively (stdin passed through); throws KubeConfigInvalid / KubeExecPluginFailed as client-go would refuse.</summary>
    public static bool DecideInteractive(ExecPluginSpec spec, OsFacts facts)
    {
        switch (spec.ApiVersion)
        {
            case ExecPluginSpec.V1 or ExecPluginSpec.V1Beta1 or ExecPluginSpec.V1Alpha1:
                break;
            default:
                throw Invalid(spec, $"its apiVersion '{spec.ApiVersion}' is not one of {ExecPluginSpec.V1}, {ExecPluginSpec.V1Beta1} or {ExecPluginSpec.V1Alpha1}");
        }

        var mode = spec.InteractiveMode;
        if (string.IsNullOrEmpty(mode))
        {
            if (spec.ApiVersion == ExecPluginSpec.V1)
            {
                throw Invalid(spec, $"interactiveMode must be specified for {spec.ApiVersion} (Never, IfAvailable or Always)");
            }
            mode = "IfAvailable";
        }

        var terminal = facts.StdinIsTerminal();
        return mode switch
        {
            "Never" => false,
            "IfAvailable" => terminal,
            "Always" when terminal => true,
            "Always" => throw new RayPSException(ErrorIds.KubeExecPluginFailed, RayErrorCategory.AuthenticationError,
                $"The exec credential plugin '{spec.Command}' has interactiveMode: Always, but standard input is not a terminal. Run the command in an interactive console, or log in with the plugin first so it does not need to ask.",
                spec.Command),
            _ => throw Invalid(spec, $"its interactiveMode '{mode}' is not Never, IfAvailable or Always"),
        };
    }

    /// <summary>The KUBERNETES_EXEC_INFO value client-go passes: an ExecCredential with spec.interactive (and spec.cluster when asked).</summary>
    public static string ExecInfo(ExecPluginSpec spec, bool interactive)
    {
        var specNode = new JsonObject { ["interactive"] = interactive };
        if (spec.ProvideClusterInfo && spec.Cluster is not null && spec.ApiVersion != ExecPluginSpec.V1Alpha1)
        {
            specNode["cluster"] = spec.Cluster.ToJson();
        }
        return new JsonObject { ["kind"] = "ExecCredential", ["apiVersion"] = spec.ApiVersion, ["spec"] = specNode }.ToJsonString();
    }

    /// <summary>Finds the plugin program as Go's exec.LookPath would (PATHEXT and .ps1 on Windows); null when there is none.</summary>
    public static string? LookPath(string command, OsFacts facts)
    {
        var extensions = facts.IsWindows ? WindowsExtensions(facts) : Array.Empty<string>();
        if (facts.ContainsSeparator(command))
        {
            return FindExecutable(command, extensions, facts);
        }
        var path = facts.Env("PATH") ?? "";
        foreach (var dir in KubeConfigLoader.SplitList(path, facts))
        {
            // An empty entry means the current directory, which Go (since 1.19) refuses to search implicitly.
            if (dir.Length == 0 || dir == ".")
            {
                continue;
            }
            if (FindExecutable(facts.Join(dir, command), extensions, facts) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    private static string[] WindowsExtensions(OsFacts facts)
    {
        var pathExt = facts.Env("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD";
        var list = pathExt.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => (e.StartsWith('.') ? e : "." + e).ToLowerInvariant())
            .ToList();
        // kubectl cannot run PowerShell wrappers; RayPS can, after everything kubectl would find.
        if (!list.Contains(".ps1"))
        {
            list.Add(".ps1");
        }
        return list.Distinct().ToArray();
    }

    private static string? FindExecutable(string file, string[] extensions, OsFacts facts)
    {
        if (extensions.Length == 0)
        {
            return facts.FileExists(file) && facts.IsExecutable(file) ? file : null;
        }
        var ext = ExtensionOf(file, facts);
        if (ext.Length > 0 && extensions.Contains(ext, StringComparer.OrdinalIgnoreCase) && facts.FileExists(file))
        {
            return file;
        }
        foreach (var e in extensions)
        {
            if (facts.FileExists(file + e))
            {
                return file + e;
            }
        }
        return null;
    }

    private static string ExtensionOf(string file, OsFacts facts)
    {
        for (var i = file.Length - 1; i >= 0 && !facts.IsSeparator(file[i]); i--)
        {
            if (file[i] == '.')
            {
                return file[i..].ToLowerInvariant();
            }
        }
        return "";
    }

    /// <summary>How to start the plugin found at <paramref name="program"/>: directly, through cmd.exe, or through pwsh.</summary>
    public static ExecLaunch PlanLaunch(string program, IReadOnlyList<string> arguments, OsFacts facts, bool interactive = false)
    {
        if (!facts.IsWindows)
        {
            return new ExecLaunch(program, arguments, null);
        }
        var ext = ExtensionOf(program, facts);
        if (ext is ".cmd" or ".bat")
        {
            var shell = facts.Env("ComSpec") ?? facts.Join(facts.Env("SystemRoot") ?? @"C:\Windows", "System32", "cmd.exe");
            var line = string.Join(' ', new[] { program }.Concat(arguments).Select(a => QuoteForCmd(a, program)));
            return new ExecLaunch(shell, Array.Empty<string>(), "/d /s /c \"" + line + "\"");
        }
        if (ext == ".ps1")
        {
            var pwsh = LookPath("pwsh", facts) ?? LookPath("powershell", facts) ?? "powershell.exe";
            var list = new List<string> { "-NoLogo", "-NoProfile" };
            if (!interactive)
            {
                // No stdin to answer with: a prompt must fail at once rather than wait.
                list.Add("-NonInteractive");
            }
            list.AddRange(new[] { "-File", program });
            list.AddRange(arguments);
            return new ExecLaunch(pwsh, list, null);
        }
        return new ExecLaunch(program, arguments, null);
    }

    /// <summary>
    /// Quotes one argument for a batch file run by cmd.exe. Inside double quotes cmd treats &amp;|&lt;&gt;^() literally, but it
    /// still expands %VAR% and (with delayed expansion) !VAR!, and a quote would end the quoting: such arguments are refused.
    /// </summary>
    private static string QuoteForCmd(string argument, string program)
    {
        if (argument.IndexOfAny(new[] { '"', '%', '!', '\r', '\n', '\0' }) >= 0)
        {
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                $"The exec credential plugin '{program}' is a batch file, and one of its arguments holds a character cmd.exe would reinterpret (\" % ! or a line break). Point the kubeconfig at the program the batch file wraps, or remove that character.",
                program);
        }
        return argument.Length > 0 && argument.IndexOfAny(new[] { ' ', '\t', '&', '|', '<', '>', '^', '(', ')', ',', ';', '=' }) < 0
            ? argument
            : "\"" + argument + "\"";
    }

    /// <summary>Runs the plugin once and returns its credential.</summary>
    public static async Task<ExecCredential> RunAsync(ExecPluginSpec spec, OsFacts facts, CancellationToken ct)
    {
        var interactive = DecideInteractive(spec, facts);
        var program = LookPath(spec.Command, facts) ?? throw NotFound(spec);
        var launch = PlanLaunch(program, spec.Arguments, facts, interactive);

        var start = new ProcessStartInfo(launch.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = !interactive,
            // Share RayPS's console so Ctrl+C reaches the plugin and its prompts show (kubectl's plugins do too).
            CreateNoWindow = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (launch.CommandLine is not null)
        {
            start.Arguments = launch.CommandLine;
        }
        else
        {
            foreach (var argument in launch.ArgumentList)
            {
                start.ArgumentList.Add(argument);
            }
        }
        foreach (var (name, value) in spec.Environment)
        {
            start.Environment[name] = value;
        }
        start.Environment["KUBERNETES_EXEC_INFO"] = ExecInfo(spec, interactive);

        using var process = new Process { StartInfo = start };
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
            if (interactive)
            {
                // In interactive mode the plugin may be asking the user something: show it, as kubectl does.
                Console.Error.WriteLine(e.Data);
            }
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new RayPSException(ErrorIds.KubeExecPluginFailed, RayErrorCategory.AuthenticationError,
                $"The exec credential plugin '{program}' of kubeconfig user '{spec.UserName}' could not be started: {ex.Message}. Check that it is an executable program.",
                program, ex);
        }
        process.BeginErrorReadLine();
        if (!interactive)
        {
            process.StandardInput.Close();
        }

        var limit = interactive ? InteractiveTimeout : Timeout;
        using var timeout = new CancellationTokenSource(limit);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        string stdout;
        try
        {
            var read = process.StandardOutput.ReadToEndAsync(linked.Token);
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            stdout = await read.ConfigureAwait(false);
            process.WaitForExit(); // drains the stderr events
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            if (ct.IsCancellationRequested)
            {
                throw;
            }
            throw new RayPSException(ErrorIds.KubeExecPluginFailed, RayErrorCategory.OperationTimeout,
                $"The exec credential plugin '{program}' of kubeconfig user '{spec.UserName}' did not answer within {limit.TotalSeconds:0} seconds and was stopped.{StderrSuffix(stderr)}",
                program);
        }

        if (process.ExitCode != 0)
        {
            throw new RayPSException(ErrorIds.KubeExecPluginFailed, RayErrorCategory.AuthenticationError,
                $"The exec credential plugin '{program}' of kubeconfig user '{spec.UserName}' failed with exit code {process.ExitCode}.{StderrSuffix(stderr)}",
                program);
        }
        return Parse(spec, program, stdout);
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    private static string StderrSuffix(StringBuilder stderr)
    {
        string text;
        lock (stderr)
        {
            text = stderr.ToString().Trim();
        }
        if (text.Length == 0) return "";
        if (text.Length > StderrQuoteLimit) text = "..." + text[^StderrQuoteLimit..];
        return " Its error output: " + text;
    }

    /// <summary>Checks the plugin's answer as client-go does. The output is never quoted: it holds the token.</summary>
    public static ExecCredential Parse(ExecPluginSpec spec, string program, string stdout)
    {
        RayPSException Bad(string why) => new(ErrorIds.KubeExecPluginFailed, RayErrorCategory.AuthenticationError,
            $"The exec credential plugin '{program}' of kubeconfig user '{spec.UserName}' returned {why}. Check that the plugin supports {spec.ApiVersion} (update it, or change the exec apiVersion in the kubeconfig).",
            program);

        JsonObject root;
        try
        {
            root = JsonNode.Parse(stdout) as JsonObject ?? throw Bad("output that is not a JSON object");
        }
        catch (JsonException)
        {
            throw Bad("output that is not JSON");
        }

        var kind = (root["kind"] as JsonValue)?.ToString();
        if (kind != "ExecCredential") throw Bad($"kind '{kind}' instead of ExecCredential");
        var apiVersion = (root["apiVersion"] as JsonValue)?.ToString();
        if (apiVersion != spec.ApiVersion) throw Bad($"apiVersion '{apiVersion}' while the kubeconfig asks for {spec.ApiVersion}");
        if (root["status"] is not JsonObject status) throw Bad("no status");

        string? Text(string name) => status[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
        var token = Text("token");
        var certificate = Text("clientCertificateData");
        var key = Text("clientKeyData");
        if ((certificate is null) != (key is null)) throw Bad("only one of clientCertificateData and clientKeyData");
        if (token is null && certificate is null) throw Bad("neither a token nor a client certificate and key");

        DateTimeOffset? expiry = null;
        if (Text("expirationTimestamp") is { } stamp)
        {
            if (!DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                throw Bad($"an expirationTimestamp that is not an RFC 3339 time ('{stamp}')");
            }
            expiry = parsed;
        }
        return new ExecCredential(token, certificate, key, expiry);
    }

    private static RayPSException NotFound(ExecPluginSpec spec)
    {
        var hint = string.IsNullOrWhiteSpace(spec.InstallHint) ? "" : " " + spec.InstallHint.Trim();
        return new RayPSException(ErrorIds.KubeExecPluginNotFound, RayErrorCategory.ObjectNotFound,
            $"The exec credential plugin '{spec.Command}' of kubeconfig user '{spec.UserName}' was not found (searched {(spec.Command.IndexOfAny(new[] { '/', '\\' }) >= 0 ? "that path" : "PATH")}). Install it or fix the user's exec command in the kubeconfig.{hint}",
            spec.Command);
    }

    private static RayPSException Invalid(ExecPluginSpec spec, string why) =>
        new(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
            $"The exec credential plugin of kubeconfig user '{spec.UserName}' is misconfigured: {why}. Fix the user's exec section in the kubeconfig.",
            spec.UserName);
}
