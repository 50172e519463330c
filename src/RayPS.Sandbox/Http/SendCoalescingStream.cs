using System.Buffers;

namespace RayPS.Sandbox.Http;

/// <summary>
/// Sits between a socket and an SslStream and turns the TLS records of one flush into one send. SslStream cuts every
/// write into records of at most 16 KB and hands each to the socket on its own, so a 64 KB chunk cost four sends and
/// four wake-ups of the peer. Until <see cref="StartCoalescing"/> (after the handshake) every write goes straight
/// through; from then on writes are kept until a flush, which every writer of the server's connection issues
/// (HttpResponse, ChunkedBodyStream, the WebSocket transport). Reads are not touched.
/// </summary>
internal sealed class SendCoalescingStream(Stream inner) : DuplexStream
{
    private const int BufferSize = 256 * 1024;

    private byte[]? _pending;
    private int _length;
    private bool _coalescing;

    /// <summary>From now on, writes wait for a flush (or a full buffer).</summary>
    public void StartCoalescing() => _coalescing = true;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_coalescing)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_length + buffer.Length > BufferSize)
        {
            await SendPendingAsync(cancellationToken).ConfigureAwait(false);
            if (buffer.Length > BufferSize)
            {
                await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        _pending ??= ArrayPool<byte>.Shared.Rent(BufferSize);
        buffer.CopyTo(_pending.AsMemory(_length));
        _length += buffer.Length;
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await SendPendingAsync(cancellationToken).ConfigureAwait(false);
        await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    // The buffer is held only from the first kept write to the send, by the flow that writes, so it never returns
    // to the pool while in use (a connection dropped in between leaves it to the GC).
    private async ValueTask SendPendingAsync(CancellationToken cancellationToken)
    {
        if (_pending is not { } pending)
        {
            return;
        }
        var length = _length;
        _pending = null;
        _length = 0;
        try
        {
            await inner.WriteAsync(pending.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pending);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
