using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using RayPS.Sandbox.Tests.Cluster;

namespace RayPS.Sandbox.Tests.Kubectl;

/// <summary>
/// <c>kubectl port-forward</c> (1.32: SPDY/3.1 tunnelled through a WebSocket) against a ready RayCluster, reaching the
/// head's dashboard through the local port like the seed guide does.
/// </summary>
public sealed class KubectlPortForwardTests(ReadyClusterFixture fixture) : IClassFixture<ReadyClusterFixture>
{
    private string HeadPod => ObjectMeta.Name(fixture.H.Pods("default", "ray.io/node-type", "head").Single());

    private Task<KubectlPortForward> ForwardAsync(params string[] targetAndPorts) =>
        KubectlPortForward.StartAsync(fixture.H.Sandbox.KubeConfigPath, Path.Combine(fixture.WorkDir, "cache"), targetAndPorts);

    private static HttpClient Local(int port) => new() { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };

    [KubectlFact]
    public async Task PodPortForwardServesTheDashboardToManyConnections()
    {
        await using var forward = await ForwardAsync($"pod/{HeadPod}", ":8265");
        Assert.Equal(8265, forward.RemotePort);

        using var http = Local(forward.LocalPort);
        var version = JsonNode.Parse(await http.GetStringAsync("api/version"))!;
        Assert.Equal("2.46.0", (string?)version["ray_version"]);
        var nodes = JsonNode.Parse(await http.GetStringAsync("nodes?view=summary"))!;
        Assert.Equal("Node summary fetched.", (string?)nodes["msg"]);
        Assert.Equal(3, nodes["data"]!["summary"]!.AsArray().Count);

        // One client per request: separate TCP connections, so separate stream pairs on the one SPDY connection.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var own = Local(forward.LocalPort);
            return await own.GetStringAsync("api/version");
        }));
        Assert.All(answers, a => Assert.Contains("\"ray_version\": \"2.46.0\"", a));

        const int Size = 10 * 1024 * 1024;
        var blob = await http.GetByteArrayAsync($"api/sandbox/blob?bytes={Size}");
        Assert.Equal(Size, blob.Length);
        for (var i = 0; i < blob.Length; i += 4099)
        {
            Assert.Equal((byte)('a' + i % (64 * 1024) % 26), blob[i]);
        }
        Assert.Equal(1 + 8, Regex.Matches(forward.Output, $"Handling connection for {forward.LocalPort}").Count);
        Assert.DoesNotContain("error", forward.Errors, StringComparison.OrdinalIgnoreCase);
    }

    [KubectlFact]
    public async Task ThePlainSpdyUpgradeOfOlderKubectlWorksToo()
    {
        await using var forward = await KubectlPortForward.StartAsync(fixture.H.Sandbox.KubeConfigPath, Path.Combine(fixture.WorkDir, "cache"),
            websockets: false, $"pod/{HeadPod}", ":8265");
        using var http = Local(forward.LocalPort);
        Assert.Contains("\"ray_version\": \"2.46.0\"", await http.GetStringAsync("api/version"));
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var own = Local(forward.LocalPort);
            return await own.GetStringAsync("nodes?view=summary");
        }));
        Assert.All(answers, a => Assert.Contains("Node summary fetched.", a));
        Assert.DoesNotContain("error", forward.Errors, StringComparison.OrdinalIgnoreCase);
    }

    [KubectlFact]
    public async Task ServicePortForwardReachesTheHeadThroughTheService()
    {
        var port = FreePort();
        await using var forward = await ForwardAsync("svc/raycluster-kuberay-head-svc", $"{port}:8265");
        Assert.Equal((port, 8265), (forward.LocalPort, forward.RemotePort));

        using var http = Local(port);
        using var response = await http.GetAsync("api/version");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Python/3.11 aiohttp/3.11.18", response.Headers.Server.ToString());
        Assert.Contains("\"ray_version\": \"2.46.0\"", await response.Content.ReadAsStringAsync());
    }

    [KubectlFact]
    public async Task APortNothingListensOnIsReportedAndEndsTheForward()
    {
        await using var forward = await ForwardAsync($"pod/{HeadPod}", ":9999");
        using var http = Local(forward.LocalPort);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("api/version"));

        Assert.True(await forward.WaitForExitAsync(TimeSpan.FromSeconds(20)), "kubectl should stop once the connection to the pod is lost\n" + forward.Errors);
        Assert.NotEqual(0, forward.ExitCode);
        // klog quotes the message, escaping its inner quotes.
        Assert.Matches(
            $@"an error occurred forwarding {forward.LocalPort} -> 9999: error forwarding port 9999 to pod [0-9a-f]{{64}}, uid : failed to execute portforward in network namespace \\""/var/run/netns/cni-[0-9a-f-]+\\"": failed to connect to localhost:9999 inside namespace \\""[0-9a-f]{{64}}\\"", IPv4: dial tcp4 127.0.0.1:9999: connect: connection refused IPv6 dial tcp6 \[::1\]:9999: connect: connection refused",
            forward.Errors);
        Assert.Contains("error: lost connection to pod", forward.Errors);
    }

    [KubectlFact]
    public async Task APodThatIsNotRunningIsRefusedByKubectl()
    {
        var pod = Objects.Pod("pf-never-pulls");
        pod["spec"]!["containers"]![0]!["image"] = "rayproject/does-not-exist:1.0";
        await fixture.H.CreateAsync("/api/v1/namespaces/default/pods", pod);
        try
        {
            var result = await fixture.Kubectl.RunAsync("port-forward", "pod/pf-never-pulls", ":8265");
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("error: unable to forward port because pod is not running. Current status=Pending", result.Error);
        }
        finally
        {
            await fixture.H.DeleteAsync("/api/v1/namespaces/default/pods/pf-never-pulls");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A running <c>kubectl port-forward</c>: started, its "Forwarding from" line awaited, killed on dispose.</summary>
public sealed class KubectlPortForward : IAsyncDisposable
{
    private static readonly Regex Forwarding = new(@"^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)$");

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();
    private readonly TaskCompletionSource<(int Local, int Remote)> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private KubectlPortForward(Process process)
    {
        _process = process;
    }

    public int LocalPort { get; private set; }
    public int RemotePort { get; private set; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    public static Task<KubectlPortForward> StartAsync(string kubeConfigPath, string cacheDir, params string[] targetAndPorts) =>
        StartAsync(kubeConfigPath, cacheDir, websockets: true, targetAndPorts);

    /// <summary><paramref name="websockets"/> false: the plain SPDY/3.1 upgrade kubectl used before 1.31 (and falls back to).</summary>
    public static async Task<KubectlPortForward> StartAsync(string kubeConfigPath, string cacheDir, bool websockets, params string[] targetAndPorts)
    {
        var binary = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? "kubectl.exe" : "kubectl"))
            .First(File.Exists);
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("port-forward");
        foreach (var arg in targetAndPorts)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.ArgumentList.Add("--address=127.0.0.1");
        psi.Environment["KUBECONFIG"] = kubeConfigPath;
        psi.Environment["KUBECACHEDIR"] = cacheDir;
        if (!websockets)
        {
            psi.Environment["KUBECTL_PORT_FORWARD_WEBSOCKETS"] = "false";
        }
        var forward = new KubectlPortForward(new Process { StartInfo = psi, EnableRaisingEvents = true });
        forward._process.OutputDataReceived += (_, e) => forward.OnOutput(e.Data);
        forward._process.ErrorDataReceived += (_, e) => forward.OnError(e.Data);
        forward._process.Exited += (_, _) => forward._ready.TrySetException(new InvalidOperationException("kubectl port-forward exited"));
        forward._process.Start();
        forward._process.BeginOutputReadLine();
        forward._process.BeginErrorReadLine();
        try
        {
            (forward.LocalPort, forward.RemotePort) = await forward._ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            await forward.DisposeAsync();
            throw new InvalidOperationException($"kubectl port-forward {string.Join(" ", targetAndPorts)} did not start forwarding:\n{forward.Errors}", ex);
        }
        return forward;
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
        if (Forwarding.Match(line) is { Success: true } m)
        {
            _ready.TrySetResult((int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value)));
        }
    }

    private void OnError(string? line)
    {
        if (line is not null)
        {
            lock (_errors)
            {
                _errors.AppendLine(line);
            }
        }
    }
}
