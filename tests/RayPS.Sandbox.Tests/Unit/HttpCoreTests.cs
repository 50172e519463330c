using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using RayPS.Sandbox.Http;

namespace RayPS.Sandbox.Tests.Unit;

/// <summary>The HTTP/1.1 core over an in-memory connection and over TLS.</summary>
public sealed class HttpCoreTests
{
    // The last request asks the server to close, so the whole exchange can be read to the end.
    private static async Task<string> Exchange(HttpHandler handler, string rawRequests)
    {
        var (client, server) = DuplexPipe.Create();
        var serving = HttpConnection.ServeAsync(server, handler);
        await client.WriteAsync(Encoding.ASCII.GetBytes(rawRequests));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var received = new MemoryStream();
        await client.CopyToAsync(received, timeout.Token);
        client.Dispose();
        await serving;
        return Encoding.ASCII.GetString(received.ToArray());
    }

    private static Task EchoBody(HttpRequest request, HttpResponse response) =>
        response.WriteAsync($"{request.Method} {request.Path} [{request.BodyText}]", "text/plain");

    [Fact]
    public async Task KeepAliveServesSeveralRequestsOnOneConnection()
    {
        var text = await Exchange(EchoBody, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello");
        Assert.Contains("GET /a []", text);
        Assert.Contains("POST /b [hello]", text);
        Assert.Contains("Content-Length: 9", text);
    }

    [Fact]
    public async Task ChunkedRequestBodiesAreReassembled()
    {
        var text = await Exchange(EchoBody, "PUT /c HTTP/1.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n");
        Assert.Contains("PUT /c [abcdefg]", text);
    }

    [Fact]
    public async Task ExpectContinueGetsAnInterimResponse()
    {
        var text = await Exchange(EchoBody, "POST /d HTTP/1.1\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
        Assert.StartsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK", text);
        Assert.Contains("POST /d [ok]", text);
    }

    [Fact]
    public async Task StreamedResponsesAreChunked()
    {
        var text = await Exchange(async (_, response) =>
        {
            var body = await response.StartChunkedAsync();
            await body.WriteAsync(Encoding.ASCII.GetBytes("one\n"));
            await body.WriteAsync(Encoding.ASCII.GetBytes("two\n"));
            await body.CompleteAsync();
        }, "GET /w HTTP/1.1\r\nConnection: close\r\n\r\n");
        Assert.Contains("Transfer-Encoding: chunked", text);
        Assert.EndsWith("4\r\none\n\r\n4\r\ntwo\n\r\n0\r\n\r\n", text);
    }

    [Fact]
    public async Task WebSocketUpgradeOverAnInMemoryConnection()
    {
        var (client, server) = DuplexPipe.Create();
        var serving = HttpConnection.ServeAsync(server, async (request, response) =>
        {
            using var ws = await response.AcceptWebSocketAsync(request, WebSocketHandshake.ChooseProtocol(request, ["v4.channel.k8s.io"]));
            var buffer = new byte[64];
            var result = await ws.ReceiveAsync(buffer, CancellationToken.None);
            await ws.SendAsync(buffer.AsMemory(0, result.Count), WebSocketMessageType.Binary, true, CancellationToken.None);
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        });
        const string key = "dGhlIHNhbXBsZSBub25jZQ==";
        await client.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n"));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            await client.ReadExactlyAsync(one);
            head.Append((char)one[0]);
        }
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols", head.ToString());
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head.ToString());
        Assert.Contains("Sec-WebSocket-Protocol: v4.channel.k8s.io", head.ToString());
        using var ws = WebSocket.CreateFromStream(client, isServer: false, "v4.channel.k8s.io", TimeSpan.FromSeconds(30));
        await ws.SendAsync(new byte[] { 0, 1, 2 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var buffer = new byte[16];
        var received = await ws.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal(new byte[] { 0, 1, 2 }, buffer[..received.Count]);
        Assert.Equal(WebSocketMessageType.Close, (await ws.ReceiveAsync(buffer, CancellationToken.None)).MessageType);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await serving;
    }

    [Fact]
    public async Task TlsServesHttp11WithExpectContinue()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = new SandboxClient(sandbox);
        var request = client.Request(HttpMethod.Post, "/api/v1/namespaces/default/configmaps",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"expect"}}""");
        request.Headers.ExpectContinue = true;
        using var response = await client.Http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(new Version(1, 1), response.Version);
        Assert.Equal("no-cache, private", response.Headers.CacheControl?.ToString());
        Assert.Equal(new MediaTypeHeaderValue("application/json"), response.Content.Headers.ContentType);
    }

    [Fact]
    public async Task A_request_after_a_response_that_watched_for_the_client_closing_is_read_once()
    {
        // A streaming response (a watch) starts a read to notice the client hanging up; when it ends, the parser waits on
        // that same read for the next request. The read's bytes must count once: counted twice, stale bytes of the longer
        // first request became a "request" and the server dropped the kept-alive connection under the client.
        HttpHandler handler = async (request, response) =>
        {
            if (request.Path == "/watch")
            {
                _ = response.ClientClosedAsync();
            }
            await response.WriteAsync(request.Path, "text/plain");
        };
        var (client, server) = DuplexPipe.Create();
        var serving = HttpConnection.ServeAsync(server, handler);
        var padding = string.Concat(Enumerable.Range(0, 40).Select(i => $"X-Padding-{i}: {new string('p', 60)}\r\n"));

        await client.WriteAsync(Encoding.ASCII.GetBytes($"GET /watch HTTP/1.1\r\nHost: sandbox\r\n{padding}\r\n"));
        Assert.EndsWith("/watch", await ReadResponseAsync(client));
        await Task.Delay(200); // the server is now waiting for the next request on the watch's read
        await client.WriteAsync(Encoding.ASCII.GetBytes("GET /two HTTP/1.1\r\nHost: sandbox\r\n\r\n"));
        Assert.EndsWith("/two", await ReadResponseAsync(client));
        await client.WriteAsync(Encoding.ASCII.GetBytes("GET /three HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n"));
        Assert.EndsWith("/three", await ReadResponseAsync(client));

        client.Dispose();
        await serving.WaitAsync(TimeSpan.FromSeconds(10));
    }

    // One response with a Content-Length body, read from a kept-alive connection.
    private static async Task<string> ReadResponseAsync(Stream client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var text = Encoding.ASCII.GetString(received.ToArray());
            var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headEnd >= 0)
            {
                var length = int.Parse(System.Text.RegularExpressions.Regex.Match(text, "Content-Length: (\\d+)").Groups[1].Value);
                if (received.Count >= headEnd + 4 + length)
                {
                    return text[..(headEnd + 4 + length)];
                }
            }
            var n = await client.ReadAsync(buffer, timeout.Token);
            Assert.True(n > 0, "the server closed the connection instead of answering: " + text);
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }
}
