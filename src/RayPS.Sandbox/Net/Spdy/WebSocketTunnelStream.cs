using System.Net.WebSockets;
using RayPS.Sandbox.Http;

namespace RayPS.Sandbox.Net.Spdy;

/// <summary>
/// A byte stream tunnelled through a WebSocket, as Kubernetes tunnels SPDY (subprotocol <c>SPDY/3.1+portforward.k8s.io</c>):
/// reads join binary messages into one stream, each write is one binary message, a close message is the end of the stream.
/// </summary>
internal sealed class WebSocketTunnelStream(WebSocket socket) : DuplexStream
{
    private bool _ended;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!_ended && !buffer.IsEmpty)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            switch (result.MessageType)
            {
                case WebSocketMessageType.Close:
                    _ended = true;
                    break;
                case WebSocketMessageType.Text:
                    throw new InvalidDataException("a SPDY tunnel carries only binary messages");
                default:
                    if (result.Count > 0)
                    {
                        return result.Count;
                    }
                    break;
            }
        }
        return 0;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        socket.SendAsync(buffer, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);

    /// <summary>Ends the tunnel with a normal closure (what kubectl treats as the end of the SPDY connection).</summary>
    public async Task CloseAsync()
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            socket.Dispose();
        }
        base.Dispose(disposing);
    }
}
