using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using RayPS.Kube;

namespace RayPS.Client.Tests.Dashboard.Support;

/// <summary>
/// An in-memory API server at the end of a real client pipeline: RayClusters, head pods and services for GET and LIST,
/// and pods/NAME/portforward as a WebSocket upgrade speaking v4.channel.k8s.io to each pod's FakeDashboard, with the
/// API server's refusals (403, 404, 400). Thread-safe: the session under test opens many streams at once.
/// </summary>
internal sealed class FakeKubeApi : DelegatingHandler
{
    public const string Ns = "default";
    private const string SubProtocol = "v4.channel.k8s.io";

    private readonly object _gate = new();
    private readonly Dictionary<string, JsonObject> _clusters = new();
    private readonly Dictionary<string, FakePod> _pods = new();
    private int _upgrades;

    public ConcurrentQueue<HttpRequestMessage> Requests { get; } = new();

    /// <summary>Answer 403 to port-forward, as for a user without create on pods/portforward.</summary>
    public bool ForbidPortForward { get; set; }

    public int Upgrades => Volatile.Read(ref _upgrades);

    /// <summary>Answer this many of the next port-forward upgrades with the API server's 503 (a hiccup that is not the pod's).</summary>
    public int UnavailableUpgrades
    {
        get => Volatile.Read(ref _unavailableUpgrades);
        set => Volatile.Write(ref _unavailableUpgrades, value);
    }

    private int _unavailableUpgrades;

    private bool TakeUnavailableUpgrade()
    {
        while (true)
        {
            var left = Volatile.Read(ref _unavailableUpgrades);
            if (left <= 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _unavailableUpgrades, left - 1, left) == left)
            {
                return true;
            }
        }
    }

    public KubeConnection Connect()
    {
        var config = new KubernetesClientConfiguration { Host = "https://fake.example:6443", AccessToken = "test-token-not-secret", Namespace = Ns };
        return KubeConnection.Create(config, "fake-context", new RetryHandler { BaseDelay = TimeSpan.FromMilliseconds(1) }, this);
    }

    public void AddCluster(string name, string? headPodName, bool withService = true)
    {
        var status = new JsonObject();
        if (headPodName is not null)
        {
            status["head"] = new JsonObject { ["podName"] = headPodName, ["serviceName"] = $"{name}-head-svc" };
        }
        lock (_gate)
        {
            _clusters[name] = new JsonObject
            {
                ["apiVersion"] = "ray.io/v1",
                ["kind"] = "RayCluster",
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Ns },
                ["spec"] = new JsonObject { ["rayVersion"] = "2.46.0" },
                ["status"] = status,
                ["hasService"] = withService,
            };
        }
    }

    public void SetHeadPodName(string cluster, string podName)
    {
        lock (_gate)
        {
            _clusters[cluster]["status"] = new JsonObject { ["head"] = new JsonObject { ["podName"] = podName, ["serviceName"] = $"{cluster}-head-svc" } };
        }
    }

    /// <summary>Adds a head pod; a Running one gets its own FakeDashboard.</summary>
    public FakePod AddHeadPod(string cluster, string name, string phase = "Running", bool ready = true, string? waitingReason = null, int dashboardPort = 8265)
    {
        var pod = new FakePod(cluster, name, phase, ready, waitingReason, dashboardPort, phase == "Running" ? new FakeDashboard(name) : null);
        lock (_gate)
        {
            _pods[name] = pod;
        }
        return pod;
    }

    /// <summary>Deletes a pod as the kubelet would: its dashboard stops and its port-forward streams break.</summary>
    public void DeletePod(string name)
    {
        FakePod? pod;
        lock (_gate)
        {
            _pods.Remove(name, out pod);
        }
        pod?.Kill();
    }

    public void MarkTerminating(string name)
    {
        lock (_gate)
        {
            _pods[name].Terminating = true;
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        var path = request.RequestUri!.AbsolutePath;
        var query = request.RequestUri.Query.TrimStart('?');
        var parts = path.Trim('/').Split('/');
        lock (_gate)
        {
            // /apis/ray.io/v1/namespaces/default/rayclusters/NAME
            if (parts is ["apis", "ray.io", "v1", "namespaces", _, "rayclusters", var clusterName])
            {
                return Task.FromResult(_clusters.TryGetValue(clusterName, out var cluster)
                    ? Json(200, ClusterJson(cluster))
                    : NotFound("rayclusters", clusterName, "ray.io"));
            }
            // /api/v1/namespaces/default/services/NAME
            if (parts is ["api", "v1", "namespaces", _, "services", var serviceName])
            {
                var owner = _clusters.Values.FirstOrDefault(c => $"{c["metadata"]!["name"]}-head-svc" == serviceName && (bool)c["hasService"]!);
                return Task.FromResult(owner is null ? NotFound("services", serviceName) : Json(200, ServiceJson(serviceName, (string)owner["metadata"]!["name"]!)));
            }
            // /api/v1/namespaces/default/pods?labelSelector=...
            if (parts is ["api", "v1", "namespaces", _, "pods"])
            {
                var selector = Uri.UnescapeDataString(query.Replace("labelSelector=", "")).Split(',', StringSplitOptions.RemoveEmptyEntries)
                    .Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
                var items = new JsonArray(_pods.Values.Where(p => selector.All(kv => p.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value)).Select(p => (JsonNode)p.ToJson()).ToArray());
                return Task.FromResult(Json(200, new JsonObject { ["kind"] = "PodList", ["apiVersion"] = "v1", ["items"] = items }));
            }
            // /api/v1/namespaces/default/pods/NAME
            if (parts is ["api", "v1", "namespaces", _, "pods", var podName])
            {
                return Task.FromResult(_pods.TryGetValue(podName, out var pod) ? Json(200, pod.ToJson()) : NotFound("pods", podName));
            }
            // /api/v1/namespaces/default/pods/NAME/portforward?ports=P
            if (parts is ["api", "v1", "namespaces", _, "pods", var forwardPod, "portforward"])
            {
                return Task.FromResult(PortForward(request, forwardPod, int.Parse(query.Split('=')[1])));
            }
        }
        return Task.FromResult(Json(404, Status(404, "NotFound", "the server could not find the requested resource")));
    }

    private HttpResponseMessage PortForward(HttpRequestMessage request, string podName, int port)
    {
        if (ForbidPortForward)
        {
            return Json(403, Status(403, "Forbidden", $"pods \"{podName}\" is forbidden: User \"viewer\" cannot create resource \"pods/portforward\" in API group \"\" in the namespace \"{Ns}\""));
        }
        if (request.Headers.Upgrade.Count > 0 && TakeUnavailableUpgrade())
        {
            return Json(503, Status(503, "ServiceUnavailable", "the server is currently unable to handle the request"));
        }
        if (!_pods.TryGetValue(podName, out var pod))
        {
            return NotFound("pods", podName);
        }
        if (pod.Phase != "Running")
        {
            return Json(400, Status(400, "BadRequest", $"pod {podName} does not have a host assigned"));
        }
        if (!request.Headers.Upgrade.Any(u => u.Name.Equals("websocket", StringComparison.OrdinalIgnoreCase)))
        {
            return Json(400, Status(400, "BadRequest", "Upgrade request required"));
        }

        Interlocked.Increment(ref _upgrades);
        var key = request.Headers.GetValues("Sec-WebSocket-Key").Single();
        var (clientEnd, serverEnd) = DuplexPipeStream.CreatePair();
        var response = new HttpResponseMessage(HttpStatusCode.SwitchingProtocols) { Content = new UpgradedContent(clientEnd) };
        response.Headers.Connection.Add("Upgrade");
        response.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        response.Headers.Add("Sec-WebSocket-Accept", Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))));
        response.Headers.Add("Sec-WebSocket-Protocol", SubProtocol);
        var socket = WebSocket.CreateFromStream(serverEnd, new WebSocketCreationOptions { IsServer = true, SubProtocol = SubProtocol, KeepAliveInterval = Timeout.InfiniteTimeSpan });
        pod.Track(socket);
        _ = Task.Run(() => ForwardAsync(pod, port, socket));
        return response;
    }

    /// <summary>The kubelet's side: port headers on both channels, then bytes between the stream and the pod's port.</summary>
    private static async Task ForwardAsync(FakePod pod, int port, WebSocket socket)
    {
        using (socket)
        {
            var header = new byte[] { 0, (byte)(port & 0xff), (byte)(port >> 8) };
            try
            {
                await socket.SendAsync(header, WebSocketMessageType.Binary, true, CancellationToken.None);
                header[0] = 1;
                await socket.SendAsync(header, WebSocketMessageType.Binary, true, CancellationToken.None);
                using var tcp = new TcpClient();
                try
                {
                    if (pod.Dashboard is null || pod.RefuseConnections)
                    {
                        throw new SocketException((int)SocketError.ConnectionRefused);
                    }
                    await tcp.ConnectAsync(IPAddress.Loopback, pod.Dashboard.Port);
                }
                catch (SocketException)
                {
                    var text = Encoding.UTF8.GetBytes($"\u0001error forwarding port {port} to pod {pod.Name}: dial tcp4 127.0.0.1:{port}: connect: connection refused");
                    await socket.SendAsync(text, WebSocketMessageType.Binary, true, CancellationToken.None);
                    // Like the sandbox, keep the stream open after the error until the client goes away (a kubelet
                    // closes it): the client must treat the error itself as the end.
                    var sink = new byte[1024];
                    while ((await socket.ReceiveAsync(sink, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
                    {
                    }
                    return;
                }
                var stream = tcp.GetStream();
                var toPod = Task.Run(async () =>
                {
                    var buffer = new byte[128 * 1024];
                    var inMessage = false;
                    while (true)
                    {
                        var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                        if (result.MessageType == WebSocketMessageType.Close)
                        {
                            // Like the sandbox (and API servers that tear the stream down), drop the connection
                            // instead of completing the close handshake.
                            socket.Abort();
                            tcp.Client.Close(0);
                            return;
                        }
                        var offset = inMessage ? 0 : 1;
                        inMessage = !result.EndOfMessage;
                        await stream.WriteAsync(buffer.AsMemory(offset, result.Count - offset));
                    }
                });
                var fromPod = new byte[64 * 1024 + 1];
                while (true)
                {
                    var read = await stream.ReadAsync(fromPod.AsMemory(1));
                    if (read == 0)
                    {
                        break;
                    }
                    await socket.SendAsync(fromPod.AsMemory(0, read + 1), WebSocketMessageType.Binary, true, CancellationToken.None);
                }
                if (pod.DropInsteadOfClose)
                {
                    socket.Abort();
                    return;
                }
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                await toPod.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                socket.Abort();
            }
        }
    }

    private static JsonObject ClusterJson(JsonObject cluster)
    {
        var copy = (JsonObject)cluster.DeepClone();
        copy.Remove("hasService");
        return copy;
    }

    private static JsonObject ServiceJson(string name, string cluster) => new()
    {
        ["kind"] = "Service",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Ns },
        ["spec"] = new JsonObject { ["selector"] = new JsonObject { ["ray.io/cluster"] = cluster, ["ray.io/node-type"] = "head" } },
    };

    private static HttpResponseMessage NotFound(string kind, string name, string group = "") =>
        Json(404, Status(404, "NotFound", $"{kind}{(group.Length > 0 ? "." + group : "")} \"{name}\" not found", kind, name));

    private static JsonObject Status(int code, string reason, string message, string? kind = null, string? name = null) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["details"] = kind is null ? null : new JsonObject { ["name"] = name, ["kind"] = kind },
        ["code"] = code,
    };

    private static HttpResponseMessage Json(int status, JsonObject body) => new((HttpStatusCode)status)
    {
        Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
    };

    /// <summary>The client end of an upgraded connection: readable and writable, as SocketsHttpHandler hands it out.</summary>
    private sealed class UpgradedContent(Stream stream) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream target, TransportContext? context) => stream.CopyToAsync(target);
        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
        protected override Stream CreateContentReadStream(CancellationToken cancellationToken) => stream;
        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult(stream);
    }
}

/// <summary>A head pod of the fake API server.</summary>
internal sealed class FakePod(string cluster, string name, string phase, bool ready, string? waitingReason, int dashboardPort, FakeDashboard? dashboard)
{
    private readonly ConcurrentBag<WebSocket> _sockets = new();

    public string Name { get; } = name;
    public string Phase { get; } = phase;
    public FakeDashboard? Dashboard { get; } = dashboard;
    public bool Terminating { get; set; }
    public bool RefuseConnections { get; set; }

    /// <summary>When the dashboard closes a connection, drop the stream instead of a close handshake (as the sandbox does).</summary>
    public bool DropInsteadOfClose { get; set; }
    public string Uid { get; } = Guid.NewGuid().ToString();
    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;
    public Dictionary<string, string> Labels { get; } = new() { ["ray.io/cluster"] = cluster, ["ray.io/node-type"] = "head" };

    public void Track(WebSocket socket) => _sockets.Add(socket);

    public void Kill()
    {
        Dashboard?.Dispose();
        foreach (var socket in _sockets)
        {
            socket.Abort();
        }
    }

    public JsonObject ToJson()
    {
        var status = new JsonObject
        {
            ["phase"] = Phase,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" }),
        };
        if (waitingReason is not null)
        {
            status["containerStatuses"] = new JsonArray(new JsonObject { ["name"] = "ray-head", ["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = waitingReason } } });
        }
        var metadata = new JsonObject
        {
            ["name"] = Name,
            ["namespace"] = FakeKubeApi.Ns,
            ["uid"] = Uid,
            ["creationTimestamp"] = Created.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
            ["labels"] = new JsonObject(Labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        };
        if (Terminating)
        {
            metadata["deletionTimestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ");
        }
        return new JsonObject
        {
            ["kind"] = "Pod",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "ray-head",
                    ["ports"] = new JsonArray(
                        new JsonObject { ["name"] = "dashboard", ["containerPort"] = dashboardPort },
                        new JsonObject { ["name"] = "client", ["containerPort"] = 10001 }),
                }),
            },
            ["status"] = status,
        };
    }
}
