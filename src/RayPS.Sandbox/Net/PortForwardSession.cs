using System.Buffers;
using System.Net.WebSockets;
using System.Text;

namespace RayPS.Sandbox.Net;

/// <summary>
/// The v4.channel.k8s.io port-forward protocol over a WebSocket: port i uses data channel 2i and
/// error channel 2i+1; the first frame on every channel carries the port as 2 bytes little-endian;
/// every later frame is the channel byte followed by payload.
/// </summary>
internal sealed class PortForwardSession(WebSocket socket, IReadOnlyList<int> ports, IReadOnlyList<Stream?> connections, string podDescription)
{
    /// <summary>The largest payload of one data frame.</summary>
    public const int MaxFramePayload = 128 * 1024;

    /// <summary>How long the client has to answer our close frame before the connection is dropped.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _sendGate = new(1, 1);

    public async Task RunAsync(CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            for (var i = 0; i < ports.Count; i++)
            {
                var portBytes = new[] { (byte)(ports[i] & 0xFF), (byte)(ports[i] >> 8) };
                await SendAsync((byte)(2 * i), portBytes, cts.Token).ConfigureAwait(false);
                await SendAsync((byte)(2 * i + 1), portBytes, cts.Token).ConfigureAwait(false);
            }
            for (var i = 0; i < ports.Count; i++)
            {
                if (connections[i] is null)
                {
                    var message = $"error forwarding port {ports[i]} to pod {podDescription}: failed to connect to localhost:{ports[i]}: connection refused";
                    await SendAsync((byte)(2 * i + 1), Encoding.UTF8.GetBytes(message), cts.Token).ConfigureAwait(false);
                }
            }
            var pumps = new List<Task> { ReceiveLoopAsync(cts.Token) };
            for (var i = 0; i < ports.Count; i++)
            {
                if (connections[i] is { } stream)
                {
                    pumps.Add(PumpFromPodAsync(stream, (byte)(2 * i), cts.Token));
                }
            }
            var receiving = pumps[0];
            var first = await Task.WhenAny(pumps).ConfigureAwait(false);
            if (first.IsCompletedSuccessfully)
            {
                // The pod closed its side, or the client sent its close: a close frame (or the answer to the client's)
                // tells the client the stream ended. A pod connection that was reset instead ends in a drop, below,
                // as does anything after cancelling the receive (which aborts the socket).
                await CloseOutputAsync(cts.Token).ConfigureAwait(false);
                if (first != receiving)
                {
                    await Task.WhenAny(receiving, Task.Delay(CloseGrace, cts.Token)).ConfigureAwait(false);
                }
            }
            cts.Cancel();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            foreach (var connection in connections)
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private async Task CloseOutputAsync(CancellationToken ct)
    {
        await _sendGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private Task SendAsync(byte channel, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var frame = new byte[payload.Length + 1];
        frame[0] = channel;
        payload.CopyTo(frame.AsMemory(1));
        return SendFrameAsync(frame, ct);
    }

    /// <summary>Sends one binary message (channel byte and payload); the ports' pumps share the socket.</summary>
    private async Task SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        await _sendGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>
    /// Pod to client: reads straight into a pooled frame after its channel byte, so the frame goes out without a copy,
    /// and as much as the pod has written (up to <see cref="MaxFramePayload"/>) goes into one frame.
    /// </summary>
    private async Task PumpFromPodAsync(Stream stream, byte channel, CancellationToken ct)
    {
        var frame = ArrayPool<byte>.Shared.Rent(1 + MaxFramePayload);
        try
        {
            frame[0] = channel;
            int read;
            while ((read = await stream.ReadAsync(frame.AsMemory(1, MaxFramePayload), ct).ConfigureAwait(false)) > 0)
            {
                await SendFrameAsync(frame.AsMemory(0, 1 + read), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    // Clients may split one message into several frames; only the first carries the channel byte.
    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        var buffer = new byte[32 * 1024];
        var startOfMessage = true;
        Stream? target = null;
        while (socket.State == WebSocketState.Open)
        {
            var result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
            var offset = 0;
            if (startOfMessage && result.Count > 0)
            {
                var channel = buffer[0];
                var index = channel / 2;
                target = channel % 2 == 0 && index < connections.Count ? connections[index] : null;
                offset = 1;
            }
            if (target is not null && result.Count > offset)
            {
                try
                {
                    await target.WriteAsync(buffer.AsMemory(offset, result.Count - offset), ct).ConfigureAwait(false);
                    await target.FlushAsync(ct).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // The pod closed its side; what it sent still drains to the client, later bytes are dropped.
                    target = null;
                }
            }
            startOfMessage = result.EndOfMessage;
        }
    }
}
