using System.Diagnostics;

namespace RayPS.Sandbox.Tests.Kubectl;

/// <summary>Runs the kubectl binary on PATH against a sandbox kubeconfig.</summary>
public sealed class Kubectl(string kubeConfigPath, string cacheDir)
{
    private static readonly Lazy<string?> Binary = new(() =>
    {
        var name = OperatingSystem.IsWindows() ? "kubectl.exe" : "kubectl";
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    });

    public static bool Available => Binary.Value is not null;

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    public static void Succeeded(Result result) => Assert.True(result.ExitCode == 0, result.ToString());

    public async Task<Result> RunAsync(params string[] args) => await RunAsync(TimeSpan.FromSeconds(60), args);

    public async Task<Result> RunAsync(TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(Binary.Value ?? throw new InvalidOperationException("kubectl is not on PATH"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["KUBECONFIG"] = kubeConfigPath;
        psi.Environment["KUBECACHEDIR"] = cacheDir;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("kubectl " + string.Join(" ", args) + " did not finish");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>A fact that is skipped (not failed) when kubectl is not installed.</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (!Kubectl.Available)
        {
            Skip = "kubectl is not on PATH";
        }
    }
}
