using System.Buffers;
using System.Net.Sockets;

namespace RayPS.Kube;

/// <summary>
/// A socket stream that receives into a large buffer and serves smaller reads from it. SslStream reads one TLS record
/// (at most 16 KB) at a time, so under a bulk download every record cost a receive call and, when the socket was
/// drained, a wake-up of a thread-pool thread; with this stream underneath, one receive takes whatever the kernel
/// holds (up to <see cref="BufferSize"/>) and the records after it are read without leaving user space.
/// Writes go straight to the socket.
/// </summary>
internal sealed class ReadAheadStream : Stream
{
    public const int BufferSize = 256 * 1024;

    private readonly Socket _socket;
    private byte[]? _buffer;
    private int _offset;
    private int _length;
    private volatile bool _receiving;

    public ReadAheadStream(Socket socket)
    {
        _socket = socket;
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        if (_length == 0)
        {
            if (buffer.Length >= BufferSize)
            {
                return await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            _receiving = true;
            try
            {
                _length = await _socket.ReceiveAsync(StartFill(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _receiving = false;
            }
        }
        return TakeBuffered(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        if (_length == 0)
        {
            _receiving = true;
            try
            {
                _length = _socket.Receive(StartFill().Span, SocketFlags.None);
            }
            finally
            {
                _receiving = false;
            }
        }
        return TakeBuffered(buffer);
    }

    /// <summary>The empty read-ahead buffer, ready for one receive.</summary>
    private Memory<byte> StartFill()
    {
        _buffer ??= ArrayPool<byte>.Shared.Rent(BufferSize);
        _offset = 0;
        return _buffer.AsMemory(0, BufferSize);
    }

    /// <summary>Moves what is buffered (up to the target's size) to the target; 0 when the last receive hit the end.</summary>
    private int TakeBuffered(Span<byte> target)
    {
        var count = Math.Min(_length, target.Length);
        if (count > 0)
        {
            _buffer.AsSpan(_offset, count).CopyTo(target);
            _offset += count;
            _length -= count;
        }
        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var sent = await _socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            buffer = buffer[sent..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            buffer = buffer[_socket.Send(buffer, SocketFlags.None)..];
        }
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _socket.Dispose();
            // A receive still in flight may write into the buffer: then it is left to the collector, not the pool.
            if (_buffer is { } buffer && !_receiving)
            {
                _buffer = null;
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        base.Dispose(disposing);
    }
}
