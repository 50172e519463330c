using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using RayPS.Sandbox.Cluster;

namespace RayPS.Sandbox.Tests.Cluster;

/// <summary>A sandbox with the simulated cluster behind it, plus an authenticated HTTPS client.</summary>
internal sealed class SimHarness : IAsyncDisposable
{
    private SimHarness(KubeSandbox sandbox, ClusterSimulation sim)
    {
        Sandbox = sandbox;
        Sim = sim;
        Http = new HttpClient(new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate } })
        {
            BaseAddress = sandbox.Uri,
            Timeout = TimeSpan.FromSeconds(30),
        };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", sandbox.AdminToken);
    }

    public KubeSandbox Sandbox { get; }
    public ClusterSimulation Sim { get; }
    public HttpClient Http { get; }
    public ObjectStore Store => Sandbox.Store;

    /// <summary>Fast timings for tests.</summary>
    public static ClusterSimulationOptions FastOptions() => new()
    {
        ScheduleDelay = TimeSpan.FromMilliseconds(2),
        StartDelay = TimeSpan.FromMilliseconds(40),
        ReadyDelay = TimeSpan.FromMilliseconds(20),
        InitContainerDelay = TimeSpan.FromMilliseconds(5),
        TerminationDelay = TimeSpan.FromMilliseconds(10),
        ProbeSecond = TimeSpan.FromMilliseconds(2),
        JobStartDelay = TimeSpan.FromMilliseconds(30),
        JobRunTime = TimeSpan.FromMilliseconds(100),
    };

    public static async Task<SimHarness> StartAsync(ClusterSimulationOptions? options = null, bool kubeRay = true, bool kubelet = true, bool installCrd = true,
        int? seed = null, bool kubeRayInstalledByUser = false)
    {
        var controllers = SandboxControllers.Deployment;
        if (kubeRay)
        {
            controllers |= SandboxControllers.KubeRay;
        }
        if (kubelet)
        {
            controllers |= SandboxControllers.Kubelet;
        }
        var sandbox = await KubeSandbox.StartAsync(new SandboxOptions
        {
            Controllers = controllers,
            InstallKubeRayCrd = installCrd,
            KubeRayInstalledByUser = kubeRayInstalledByUser,
            Cluster = options ?? FastOptions(),
            Seed = seed,
        });
        return new SimHarness(sandbox, sandbox.Cluster);
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }
        using var ca = X509Certificate2.CreateFromPem(Sandbox.CertificateAuthorityPem);
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(ca);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return custom.Build(new X509Certificate2(certificate));
    }

    public async Task<JsonObject> CreateAsync(string path, JsonObject body)
    {
        using var response = await Http.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return (JsonObject)JsonNode.Parse(text)!;
    }

    public async Task<JsonObject> GetJsonAsync(string path)
    {
        var text = await Http.GetStringAsync(path);
        return (JsonObject)JsonNode.Parse(text)!;
    }

    public async Task<(int Status, string Body)> GetAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<JsonObject> PatchAsync(string path, string patch, string contentType = "application/merge-patch+json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, path) { Content = new StringContent(patch, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PATCH {path}: {(int)response.StatusCode} {text}");
        return (JsonObject)JsonNode.Parse(text)!;
    }

    public async Task DeleteAsync(string path)
    {
        using var response = await Http.DeleteAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"DELETE {path}: {(int)response.StatusCode}");
    }

    public List<JsonObject> Pods(string ns, string? label = null, string? value = null) =>
        Store.ListItems(Gvr.Pods, ns, new ListOptions { LabelSelector = label is null ? null : label + "=" + value }).ToList();

    public async Task WaitAsync(Func<bool> condition, string what, string ns = "default", TimeSpan? timeout = null)
    {
        try
        {
            await WaitUntilAsync(condition, timeout, what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + "\n" + Describe(ns), ex);
        }
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting for " + (what ?? "condition"));
            }
            await Task.Delay(10);
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting for " + (what ?? "condition"));
            }
            await Task.Delay(10);
        }
    }

    public JsonObject? RayCluster(string ns, string name) => Store.TryGet(Gvr.RayClusters, ns, name);

    public async Task WaitForReadyAsync(string ns, string name, TimeSpan? timeout = null)
    {
        try
        {
            await WaitUntilAsync(() => JsonNodes.StringAt(RayCluster(ns, name), "status", "state") == "ready", timeout, $"RayCluster {ns}/{name} ready");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + "\n" + Describe(ns), ex);
        }
    }

    /// <summary>Pods, their phases and readiness, for failure messages.</summary>
    public string Describe(string ns)
    {
        var sb = new StringBuilder();
        foreach (var p in Store.ListItems(Gvr.Pods, ns))
        {
            sb.Append(ObjectMeta.Name(p)).Append(' ').Append(PodInfo.Phase(p)).Append(" ready=").Append(PodInfo.IsRunningAndReady(p))
                .Append(" node=").Append(JsonNodes.StringAt(p, "spec", "nodeName")).Append(" deleting=").Append(PodInfo.IsTerminating(p)).Append('\n');
        }
        foreach (var c in Store.ListItems(Gvr.RayClusters, ns))
        {
            sb.Append("status ").Append(c["status"]?.ToJsonString()).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Opens a port-forward WebSocket (v4.channel.k8s.io) to one port of a pod.</summary>
    public async Task<PortForward> PortForwardAsync(string ns, string pod, int port)
    {
        var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("v4.channel.k8s.io");
        ws.Options.SetRequestHeader("Authorization", "Bearer " + Sandbox.AdminToken);
        ws.Options.RemoteCertificateValidationCallback = Validate;
        var uri = new Uri($"wss://127.0.0.1:{Sandbox.Uri.Port}/api/v1/namespaces/{ns}/pods/{pod}/portforward?ports={port}");
        await ws.ConnectAsync(uri, CancellationToken.None);
        var forward = new PortForward(ws);
        await forward.ReadPortHeadersAsync();
        return forward;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Sandbox.DisposeAsync();
    }
}

/// <summary>A port-forward session: channel 0 carries data, channel 1 errors; each starts with the port number.</summary>
internal sealed class PortForward(ClientWebSocket socket) : IDisposable
{
    private readonly MemoryStream _data = new();
    private readonly StringBuilder _errors = new();
    private readonly byte[] _buffer = new byte[256 * 1024];
    private int _headers;

    public string Errors => _errors.ToString();

    public bool Closed { get; private set; }

    public async Task ReadPortHeadersAsync()
    {
        while (_headers < 2)
        {
            await ReadFrameAsync(CancellationToken.None);
        }
    }

    public async Task SendAsync(byte[] payload)
    {
        var frame = new byte[payload.Length + 1];
        payload.CopyTo(frame, 1);
        await socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
    }

    private async Task<bool> ReadFrameAsync(CancellationToken ct)
    {
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(_buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                Closed = true;
                return false;
            }
            message.Write(_buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        var bytes = message.ToArray();
        if (bytes.Length == 0)
        {
            return true;
        }
        var channel = bytes[0];
        if (_headers < 2 && bytes.Length == 3)
        {
            _headers++;
            return true;
        }
        if (channel == 0)
        {
            _data.Write(bytes, 1, bytes.Length - 1);
        }
        else
        {
            _errors.Append(Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1));
        }
        return true;
    }

    /// <summary>Sends one HTTP/1.1 request over the forwarded port and reads the response (Content-Length or chunked).</summary>
    public async Task<(int Status, byte[] Body)> HttpGetAsync(string path, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        await SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        while (true)
        {
            if (TryParse(out var status, out var body))
            {
                return (status, body);
            }
            if (!await ReadFrameAsync(cts.Token))
            {
                throw new IOException("port-forward closed: " + Errors);
            }
        }
    }

    private bool TryParse(out int status, out byte[] body)
    {
        status = 0;
        body = [];
        var bytes = _data.GetBuffer().AsSpan(0, (int)_data.Length);
        var headerEnd = bytes.IndexOf("\r\n\r\n"u8);
        if (headerEnd < 0)
        {
            return false;
        }
        var head = Encoding.ASCII.GetString(bytes[..headerEnd]);
        status = int.Parse(head.Split(' ')[1]);
        var rest = bytes[(headerEnd + 4)..];
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        int consumed;
        if (lengthLine is not null)
        {
            var length = int.Parse(lengthLine["Content-Length:".Length..].Trim());
            if (rest.Length < length)
            {
                return false;
            }
            body = rest[..length].ToArray();
            consumed = headerEnd + 4 + length;
        }
        else
        {
            // Decode only once the terminating chunk has arrived (re-parsing a growing body on every frame is quadratic).
            if (!rest.EndsWith("0\r\n\r\n"u8))
            {
                return false;
            }
            using var decoded = new MemoryStream();
            var pos = 0;
            while (true)
            {
                var lineEnd = rest[pos..].IndexOf("\r\n"u8);
                if (lineEnd < 0)
                {
                    return false;
                }
                var size = Convert.ToInt32(Encoding.ASCII.GetString(rest.Slice(pos, lineEnd)).Split(';')[0].Trim(), 16);
                pos += lineEnd + 2;
                if (rest.Length < pos + size + 2)
                {
                    return false;
                }
                decoded.Write(rest.Slice(pos, size));
                pos += size + 2;
                if (size == 0)
                {
                    break;
                }
            }
            body = decoded.ToArray();
            consumed = headerEnd + 4 + pos;
        }
        var remaining = _data.ToArray()[consumed..];
        _data.SetLength(0);
        _data.Write(remaining);
        return true;
    }

    /// <summary>Waits until the server closes the session (the pod went away).</summary>
    public async Task<bool> WaitClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await ReadFrameAsync(cts.Token))
            {
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (WebSocketException)
        {
            return true;
        }
    }

    public void Dispose() => socket.Dispose();
}
