using System.Globalization;
using System.Text;

namespace RayPS.Sandbox.Http;

/// <summary>Handles one request; the handler must produce a response (or abort).</summary>
public delegate Task HttpHandler(HttpRequest request, HttpResponse response);

/// <summary>
/// Serves HTTP/1.1 over any duplex stream (TLS, plain TCP or an in-memory pipe): keep-alive,
/// Content-Length and chunked request bodies, Expect: 100-continue, streaming and upgraded responses.
/// </summary>
public static class HttpConnection
{
    private const long MaxBodyBytes = 64L << 20;

    public static async Task ServeAsync(Stream stream, HttpHandler handler, CancellationToken cancellationToken = default)
    {
        var reader = new ConnectionReader(stream);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var request = await ReadRequestAsync(reader, stream).ConfigureAwait(false);
                if (request is null)
                {
                    return;
                }
                var response = new HttpResponse(stream, reader, request.Method == "HEAD");
                response.Headers["Date"] = DateTime.UtcNow.ToString("R", CultureInfo.InvariantCulture);
                using var aborted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                request.Aborted = aborted.Token;
                try
                {
                    await handler(request, response).ConfigureAwait(false);
                }
                catch (Exception) when (!response.HasStarted)
                {
                    response.StatusCode = 500;
                    await response.WriteAsync("Internal Server Error\n", "text/plain; charset=utf-8", cancellationToken).ConfigureAwait(false);
                }
                if (!response.HasStarted)
                {
                    response.StatusCode = 404;
                    await response.WriteAsync("404 page not found\n", "text/plain; charset=utf-8", cancellationToken).ConfigureAwait(false);
                }
                if (response.Upgraded || response.CloseConnection || request.Headers.HasToken("Connection", "close"))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or InvalidDataException or ObjectDisposedException or OperationCanceledException
                                       or System.Security.Authentication.AuthenticationException or System.Net.WebSockets.WebSocketException)
        {
            // The peer went away (also from an upgraded WebSocket) or sent garbage: nothing to answer.
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<HttpRequest?> ReadRequestAsync(ConnectionReader reader, Stream stream)
    {
        string? line;
        do
        {
            line = await reader.ReadLineAsync().ConfigureAwait(false);
            if (line is null)
            {
                return null;
            }
        }
        while (line.Length == 0);
        var parts = line.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            throw new InvalidDataException("malformed request line");
        }
        var headers = new HttpHeaders();
        while (true)
        {
            var headerLine = await reader.ReadLineAsync().ConfigureAwait(false) ?? throw new EndOfStreamException();
            if (headerLine.Length == 0)
            {
                break;
            }
            var colon = headerLine.IndexOf(':');
            if (colon <= 0)
            {
                throw new InvalidDataException("malformed header");
            }
            headers.Add(headerLine[..colon].Trim(), headerLine[(colon + 1)..].Trim());
        }
        var chunked = headers.HasToken("Transfer-Encoding", "chunked");
        long length = 0;
        if (!chunked && headers["Content-Length"] is { } cl && (!long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > MaxBodyBytes))
        {
            throw new InvalidDataException("bad Content-Length");
        }
        if ((chunked || length > 0) && string.Equals(headers["Expect"], "100-continue", StringComparison.OrdinalIgnoreCase))
        {
            await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray()).ConfigureAwait(false);
            await stream.FlushAsync().ConfigureAwait(false);
        }
        byte[] body;
        if (chunked)
        {
            body = await ReadChunkedAsync(reader).ConfigureAwait(false);
        }
        else
        {
            body = new byte[length];
            await reader.ReadExactAsync(body, 0, (int)length).ConfigureAwait(false);
        }
        return new HttpRequest(parts[0], parts[1], parts[2], headers, body);
    }

    private static async Task<byte[]> ReadChunkedAsync(ConnectionReader reader)
    {
        using var body = new MemoryStream();
        while (true)
        {
            var sizeLine = await reader.ReadLineAsync().ConfigureAwait(false) ?? throw new EndOfStreamException();
            var semicolon = sizeLine.IndexOf(';');
            var sizeText = (semicolon < 0 ? sizeLine : sizeLine[..semicolon]).Trim();
            if (!int.TryParse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size) || size < 0 || body.Length + size > MaxBodyBytes)
            {
                throw new InvalidDataException("bad chunk size");
            }
            if (size == 0)
            {
                // Trailers end with an empty line.
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync().ConfigureAwait(false)))
                {
                }
                return body.ToArray();
            }
            var chunk = new byte[size];
            await reader.ReadExactAsync(chunk, 0, size).ConfigureAwait(false);
            body.Write(chunk);
            await reader.ReadLineAsync().ConfigureAwait(false);
        }
    }
}
