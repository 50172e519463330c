using System.Globalization;
using System.Net.WebSockets;
using System.Text;

namespace RayPS.Sandbox.Http;

/// <summary>
/// The response to one request: a complete body (Content-Length), a chunked stream (watch, logs),
/// a WebSocket upgrade, or an abort (the connection is dropped without an answer).
/// </summary>
public sealed class HttpResponse
{
    private readonly Stream _stream;
    private readonly ConnectionReader _reader;
    private readonly bool _headRequest;

    internal HttpResponse(Stream stream, ConnectionReader reader, bool headRequest)
    {
        _stream = stream;
        _reader = reader;
        _headRequest = headRequest;
    }

    public int StatusCode { get; set; } = 200;

    public HttpHeaders Headers { get; } = new();

    public bool HasStarted { get; private set; }

    /// <summary>The connection must close after this response (abort, upgrade, or a failed stream).</summary>
    internal bool CloseConnection { get; private set; }

    /// <summary>The handler took the connection over (WebSocket); the server must not touch it again.</summary>
    internal bool Upgraded { get; private set; }

    /// <summary>
    /// For streaming responses: completes with true when the client closes the connection (false if it
    /// sent more data instead, which stays buffered for the next request).
    /// </summary>
    public Task<bool> ClientClosedAsync() => _reader.WaitForDataOrCloseAsync();

    /// <summary>Drops the connection without sending anything (fault injection).</summary>
    public void Abort()
    {
        CloseConnection = true;
        HasStarted = true;
    }

    public Task WriteAsync(string text, string contentType, CancellationToken ct = default)
    {
        Headers["Content-Type"] = contentType;
        return WriteAsync(Encoding.UTF8.GetBytes(text), ct);
    }

    /// <summary>Sends the head and a complete body; 1xx/204/304 responses carry neither body nor length.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> body, CancellationToken ct = default)
    {
        EnsureNotStarted();
        var bodiless = StatusCode is 204 or 304 || StatusCode < 200;
        if (!bodiless)
        {
            Headers["Content-Length"] = body.Length.ToString(CultureInfo.InvariantCulture);
        }
        await WriteHeadAsync(ct).ConfigureAwait(false);
        if (!bodiless && !_headRequest && body.Length > 0)
        {
            await _stream.WriteAsync(body, ct).ConfigureAwait(false);
        }
        await _stream.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Starts a chunked body; each write is sent (and flushed) as one chunk.</summary>
    public async Task<ChunkedBodyStream> StartChunkedAsync(CancellationToken ct = default)
    {
        EnsureNotStarted();
        Headers["Transfer-Encoding"] = "chunked";
        Headers.Remove("Content-Length");
        await WriteHeadAsync(ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        return new ChunkedBodyStream(_stream, () => CloseConnection = true);
    }

    /// <summary>Completes a WebSocket handshake (101) and hands the connection to a server-side WebSocket.</summary>
    public async Task<WebSocket> AcceptWebSocketAsync(HttpRequest request, string? subProtocol, CancellationToken ct = default)
    {
        EnsureNotStarted();
        var key = request.Headers["Sec-WebSocket-Key"] ?? throw new InvalidOperationException("not a WebSocket request");
        StatusCode = 101;
        Headers["Upgrade"] = "websocket";
        Headers["Connection"] = "Upgrade";
        Headers["Sec-WebSocket-Accept"] = WebSocketHandshake.AcceptKey(key);
        if (subProtocol is not null)
        {
            Headers["Sec-WebSocket-Protocol"] = subProtocol;
        }
        await WriteHeadAsync(ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        Upgraded = true;
        CloseConnection = true;
        var transport = new PrefixedStream(_reader.TakeBuffered(), _stream);
        return WebSocket.CreateFromStream(transport, isServer: true, subProtocol, TimeSpan.FromSeconds(30));
    }

    /// <summary>Answers 101 Switching Protocols to a non-WebSocket upgrade (SPDY/3.1) and returns the raw connection.</summary>
    public async Task<Stream> AcceptUpgradeAsync(string protocol, CancellationToken ct = default)
    {
        EnsureNotStarted();
        StatusCode = 101;
        Headers["Connection"] = "Upgrade";
        Headers["Upgrade"] = protocol;
        await WriteHeadAsync(ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        Upgraded = true;
        CloseConnection = true;
        return new PrefixedStream(_reader.TakeBuffered(), _stream);
    }

    private void EnsureNotStarted()
    {
        if (HasStarted)
        {
            throw new InvalidOperationException("the response has already started");
        }
        HasStarted = true;
    }

    private async Task WriteHeadAsync(CancellationToken ct)
    {
        var sb = new StringBuilder();
        sb.Append("HTTP/1.1 ").Append(StatusCode.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(ReasonPhrase(StatusCode)).Append("\r\n");
        foreach (var (name, value) in Headers)
        {
            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        sb.Append("\r\n");
        await _stream.WriteAsync(Encoding.Latin1.GetBytes(sb.ToString()), ct).ConfigureAwait(false);
    }

    public static string ReasonPhrase(int status) => status switch
    {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        410 => "Gone",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status " + status.ToString(CultureInfo.InvariantCulture),
    };
}
