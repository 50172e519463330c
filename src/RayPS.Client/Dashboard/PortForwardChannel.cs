using System.Net.WebSockets;
using System.Text;

namespace RayPS.Dashboard;

/// <summary>
/// One forwarded port over one WebSocket, in the API server's v4.channel.k8s.io framing: every message starts with a
/// channel byte (0 = data, 1 = error text for the first port), and the first two bytes the server sends on each channel
/// are the port number (little endian), which this class skips. Data is sent as single binary messages on channel 0.
/// One reader and one writer may use it at the same time.
/// </summary>
internal sealed class PortForwardChannel : IDisposable
{
    public const string SubProtocol = "v4.channel.k8s.io";

    /// <summary>Where the payload starts in a buffer given to <see cref="SendAsync"/>: byte 0 carries the channel.</summary>
    public const int DataOffset = 1;

    private const byte DataChannel = 0;
    private const byte ErrorChannel = 1;
    private const int PortHeaderSize = 2;
    private const int MaxErrorLength = 4096;

    private readonly WebSocket _socket;
    private readonly int[] _headerRemaining = { PortHeaderSize, PortHeaderSize };
    private readonly StringBuilder _error = new();
    private bool _inMessage;
    private byte _channel;

    public PortForwardChannel(WebSocket socket)
    {
        _socket = socket;
    }

    /// <summary>Text the server wrote on the error channel ("error forwarding port 8265 to pod ...: connection refused"), if any.</summary>
    public string? ErrorText => _error.Length == 0 ? null : _error.ToString().Trim();

    /// <summary>The server has sent the port header on the data channel: the forward is set up.</summary>
    public bool IsEstablished => _headerRemaining[DataChannel] == 0;

    /// <summary>
    /// Receives until the data channel has bytes, and returns them as a slice of <paramref name="buffer"/>. An empty
    /// result means the stream ended: the server closed it, or reported an error (then in <see cref="ErrorText"/>).
    /// </summary>
    public async ValueTask<Memory<byte>> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (true)
        {
            var (data, closed) = await ReceiveAsync(buffer, ct).ConfigureAwait(false);
            if (closed || !data.IsEmpty)
            {
                return data;
            }
        }
    }

    /// <summary>Waits until the server confirms the forward (the data channel's port header), or fails.</summary>
    public async Task WaitEstablishedAsync(CancellationToken ct)
    {
        var buffer = new byte[256];
        while (!IsEstablished)
        {
            var (_, closed) = await ReceiveAsync(buffer, ct).ConfigureAwait(false);
            if (closed)
            {
                throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely,
                    ErrorText ?? "The API server closed the port-forward stream before confirming the port.");
            }
        }
    }

    /// <summary>
    /// After <see cref="WaitEstablishedAsync"/>: true when, within <paramref name="window"/>, the server neither closed the
    /// stream nor wrote an error (the API server sends the port headers before the kubelet dials the pod's port, so a
    /// refused port shows up just after them). Consumes the stream: use it on probes only.
    /// </summary>
    public async Task<bool> StaysOpenAsync(TimeSpan window, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(window);
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                var (data, closed) = await ReceiveAsync(buffer, timeout.Token).ConfigureAwait(false);
                if (closed || ErrorText is not null)
                {
                    return false;
                }
                if (!data.IsEmpty)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ErrorText is null;
        }
    }

    /// <summary>One receive: the data-channel bytes it carried (often none: headers, error text), or Closed.</summary>
    private async ValueTask<(Memory<byte> Data, bool Closed)> ReceiveAsync(Memory<byte> buffer, CancellationToken ct)
    {
        var result = await _socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
        if (result.MessageType == WebSocketMessageType.Close)
        {
            return (Memory<byte>.Empty, true);
        }

        var payload = buffer[..result.Count];
        if (!_inMessage)
        {
            if (payload.IsEmpty)
            {
                return (payload, false);
            }
            _channel = payload.Span[0];
            payload = payload[1..];
            _inMessage = true;
        }
        if (result.EndOfMessage)
        {
            _inMessage = false;
        }

        payload = SkipPortHeader(payload);
        if (_channel == DataChannel)
        {
            return (payload, false);
        }
        if (_channel == ErrorChannel && !payload.IsEmpty)
        {
            if (_error.Length < MaxErrorLength)
            {
                _error.Append(Encoding.UTF8.GetString(payload.Span));
            }
            // An error ends the forward: the kubelet writes it, then drops the pod connection (some servers keep
            // the WebSocket open after that; nothing more will come).
            return (Memory<byte>.Empty, result.EndOfMessage);
        }
        return (Memory<byte>.Empty, false);
    }

    /// <summary>Sends <c>frame[DataOffset..]</c> on the data channel; byte 0 of <paramref name="frame"/> is overwritten with the channel.</summary>
    public ValueTask SendAsync(Memory<byte> frame, CancellationToken ct)
    {
        frame.Span[0] = DataChannel;
        return _socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, ct);
    }

    /// <summary>Tells the server we are done sending (a close frame); reading goes on until it closes too.</summary>
    public Task CloseOutputAsync(CancellationToken ct) =>
        _socket.State is WebSocketState.Open or WebSocketState.CloseReceived
            ? _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct)
            : Task.CompletedTask;

    /// <summary>Closes both ways: a close handshake when the socket is still healthy, else an abort.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived or WebSocketState.CloseSent)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
                _socket.Abort();
            }
        }
    }

    public void Abort() => _socket.Abort();

    public void Dispose() => _socket.Dispose();

    private Memory<byte> SkipPortHeader(Memory<byte> payload)
    {
        if (_channel > ErrorChannel)
        {
            return payload;
        }
        var skip = Math.Min(_headerRemaining[_channel], payload.Length);
        _headerRemaining[_channel] -= skip;
        return payload[skip..];
    }
}
