using System.Globalization;
using System.Text;
using RayPS.Sandbox.Http;

namespace RayPS.Sandbox.Net;

/// <summary>Relays one HTTP/1.1 request over a connection to a pod and copies the answer back.</summary>
internal static class HttpProxy
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "TE", "Trailer", "Authorization", "Content-Length", "Host",
    };

    public static async Task RelayAsync(Stream upstream, HttpRequest request, string path, string host, HttpResponse response, CancellationToken ct)
    {
        var head = new StringBuilder();
        head.Append(request.Method).Append(' ').Append(path).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(host).Append("\r\n");
        foreach (var (name, value) in request.Headers.Where(h => !HopByHop.Contains(h.Key)))
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        // The API server's proxy passes WebSocket upgrades through (its upgrade-aware handler), everything else is one request per connection.
        var upgrade = request.IsWebSocketUpgrade;
        if (upgrade)
        {
            head.Append("Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        }
        else
        {
            head.Append("Content-Length: ").Append(request.Body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            head.Append("Connection: close\r\n\r\n");
        }
        await upstream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), ct).ConfigureAwait(false);
        await upstream.WriteAsync(request.Body, ct).ConfigureAwait(false);
        await upstream.FlushAsync(ct).ConfigureAwait(false);

        var reader = new ConnectionReader(upstream);
        var statusLine = await reader.ReadLineAsync().ConfigureAwait(false) ?? throw new IOException("the pod closed the connection without answering");
        var parts = statusLine.Split(' ', 3);
        response.StatusCode = int.Parse(parts[1], CultureInfo.InvariantCulture);
        var chunked = false;
        long? length = null;
        while (true)
        {
            var line = await reader.ReadLineAsync().ConfigureAwait(false) ?? throw new IOException("truncated response head");
            if (line.Length == 0)
            {
                break;
            }
            var colon = line.IndexOf(':');
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                length = long.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (upgrade && name.StartsWith("Sec-WebSocket-", StringComparison.OrdinalIgnoreCase))
            {
                response.Headers[name] = value;
            }
            else if (!HopByHop.Contains(name) && !name.Equals("Date", StringComparison.OrdinalIgnoreCase))
            {
                response.Headers.Add(name, value);
            }
        }
        if (upgrade && response.StatusCode == 101)
        {
            await PipeUpgradedAsync(upstream, reader, response, ct).ConfigureAwait(false);
            return;
        }
        if (length is { } n)
        {
            var body = new byte[n];
            await reader.ReadExactAsync(body, 0, (int)n).ConfigureAwait(false);
            await response.WriteAsync(body, ct).ConfigureAwait(false);
            return;
        }
        var output = await response.StartChunkedAsync(ct).ConfigureAwait(false);
        var buffer = new byte[16 * 1024];
        if (chunked)
        {
            while (true)
            {
                var sizeLine = await reader.ReadLineAsync().ConfigureAwait(false) ?? "0";
                var size = int.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    break;
                }
                var chunk = new byte[size];
                await reader.ReadExactAsync(chunk, 0, size).ConfigureAwait(false);
                await output.WriteAsync(chunk, ct).ConfigureAwait(false);
                await reader.ReadLineAsync().ConfigureAwait(false);
            }
        }
        else
        {
            // No framing: the body runs until the pod closes the connection.
            var leftover = reader.TakeBuffered();
            await output.WriteAsync(leftover, ct).ConfigureAwait(false);
            int read;
            while ((read = await upstream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
            }
        }
        await output.CompleteAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Answers 101 with the pod's handshake headers, then copies bytes both ways until either side closes.</summary>
    private static async Task PipeUpgradedAsync(Stream upstream, ConnectionReader reader, HttpResponse response, CancellationToken ct)
    {
        var leftover = reader.TakeBuffered();
        using var client = await response.AcceptUpgradeAsync("websocket", ct).ConfigureAwait(false);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (leftover.Length > 0)
        {
            await client.WriteAsync(leftover, ct).ConfigureAwait(false);
            await client.FlushAsync(ct).ConfigureAwait(false);
        }
        var down = CopyAsync(upstream, client, both.Token);
        var up = CopyAsync(client, upstream, both.Token);
        await Task.WhenAny(down, up).ConfigureAwait(false);
        await both.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(down, up).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // One side left; the other is closed with it.
        }
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                await to.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }
}
