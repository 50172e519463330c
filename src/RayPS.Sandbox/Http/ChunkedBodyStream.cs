using System.Buffers;
using System.Globalization;
using System.Text;

namespace RayPS.Sandbox.Http;

/// <summary>A write-only stream that frames every write as one HTTP/1.1 chunk and flushes it.</summary>
public sealed class ChunkedBodyStream : Stream
{
    private const int SmallChunk = 16 * 1024;
    private static readonly ReadOnlyMemory<byte> Crlf = "\r\n"u8.ToArray();

    private readonly Stream _inner;
    private readonly Action _onFailure;
    private bool _completed;

    internal ChunkedBodyStream(Stream inner, Action onFailure)
    {
        _inner = inner;
        _onFailure = onFailure;
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return;
        }
        try
        {
            if (buffer.Length <= SmallChunk)
            {
                await WriteSmallChunkAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var head = Encoding.ASCII.GetBytes(buffer.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n");
                await _inner.WriteAsync(head, cancellationToken).ConfigureAwait(false);
                await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
                await _inner.WriteAsync(Crlf, cancellationToken).ConfigureAwait(false);
            }
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _onFailure();
            throw;
        }
    }

    /// <summary>Size line, data and CRLF in one write: over TLS one record instead of three (a watch event, a log line).</summary>
    private async ValueTask WriteSmallChunkAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(data.Length + 16);
        try
        {
            data.Length.TryFormat(chunk, out var length, "x", CultureInfo.InvariantCulture);
            length += Append(chunk, length, Crlf.Span);
            length += Append(chunk, length, data.Span);
            length += Append(chunk, length, Crlf.Span);
            await _inner.WriteAsync(chunk.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static int Append(byte[] target, int offset, ReadOnlySpan<byte> data)
    {
        data.CopyTo(target.AsSpan(offset));
        return data.Length;
    }

    /// <summary>Sends the terminating zero-length chunk; the connection can then serve the next request.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            return;
        }
        _completed = true;
        try
        {
            await _inner.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _onFailure();
            throw;
        }
    }

    /// <summary>Ends the response without the terminating chunk, so the client sees a broken stream.</summary>
    public void Break()
    {
        _completed = true;
        _onFailure();
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
