using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RayPS.Client.Tests.Dashboard.Support;

/// <summary>
/// A tiny HTTP/1.1 server on loopback standing in for one head pod's Ray dashboard: /api/version, /nodes?view=summary
/// and /blob?bytes=N, keep-alive, each answer tagged with the pod's name (X-Pod). Stopping it drops every connection,
/// like a deleted pod.
/// </summary>
internal sealed class FakeDashboard : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _clients = new();
    private readonly Task _accept;

    public FakeDashboard(string podName)
    {
        PodName = podName;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = AcceptAsync();
    }

    public string PodName { get; }
    public int Port { get; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            lock (_clients)
            {
                _clients.Add(client.Client);
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new byte[16 * 1024];
            var pending = new StringBuilder();
            try
            {
                while (true)
                {
                    var head = pending.ToString();
                    var end = head.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end < 0)
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }
                        pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                        continue;
                    }
                    pending.Remove(0, end + 4);
                    var target = head[..head.IndexOf("\r\n", StringComparison.Ordinal)].Split(' ')[1];
                    await AnswerAsync(stream, target);
                    if (head.Contains("Connection: close", StringComparison.OrdinalIgnoreCase))
                    {
                        return;
                    }
                }
            }
            catch (Exception)
            {
                // Connection dropped or server stopped.
            }
        }
    }

    private async Task AnswerAsync(NetworkStream stream, string target)
    {
        var path = target.Split('?')[0];
        var query = target.Contains('?') ? target[(target.IndexOf('?') + 1)..] : "";
        if (path == "/blob")
        {
            var bytes = long.Parse(query.Split('=')[1]);
            await WriteHeadAsync(stream, 200, "application/octet-stream", bytes);
            var chunk = new byte[64 * 1024];
            for (var left = bytes; left > 0;)
            {
                var n = (int)Math.Min(left, chunk.Length);
                await stream.WriteAsync(chunk.AsMemory(0, n), _stop.Token);
                left -= n;
            }
            return;
        }

        var (status, body) = path switch
        {
            "/api/version" => (200, """{"version": "4", "ray_version": "2.46.0", "ray_commit": "0123456789abcdef0123456789abcdef01234567", "session_name": "session_1"}"""),
            "/nodes" when query == "view=summary" => (200, """{"result": true, "msg": "Node summary fetched.", "data": {"summary": [{"hostname": """ + "\"" + PodName + "\"" + """, "raylet": {"state": "ALIVE", "isHeadNode": true}}], "nodeLogicalResources": {}}}"""),
            _ => (404, "404: Not Found"),
        };
        var payload = Encoding.UTF8.GetBytes(body);
        await WriteHeadAsync(stream, status, status == 200 ? "application/json" : "text/plain", payload.Length);
        await stream.WriteAsync(payload, _stop.Token);
    }

    private async Task WriteHeadAsync(NetworkStream stream, int status, string contentType, long length)
    {
        var head = $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Not Found")}\r\nContent-Type: {contentType}\r\nContent-Length: {length}\r\nX-Pod: {PodName}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
        {
            foreach (var socket in _clients)
            {
                socket.Close(0);
            }
        }
        _accept.Wait(TimeSpan.FromSeconds(5));
    }
}
