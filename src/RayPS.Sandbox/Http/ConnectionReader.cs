using System.Text;

namespace RayPS.Sandbox.Http;

/// <summary>
/// Buffered reading of an HTTP/1.1 connection. At most one read is outstanding at a time, so a
/// streaming response can watch for the client hanging up without racing the request parser.
/// </summary>
internal sealed class ConnectionReader
{
    private const int MaxHeaderBytes = 1 << 20;

    private readonly Stream _stream;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;
    private readonly object _gate = new();
    private Task<int>? _pending;

    public ConnectionReader(Stream stream) => _stream = stream;

    public int Buffered => _end - _start;

    /// <summary>Bytes read ahead of the parser (handed to a WebSocket after an upgrade).</summary>
    public byte[] TakeBuffered()
    {
        var leftover = _buffer.AsSpan(_start, _end - _start).ToArray();
        _start = _end = 0;
        return leftover;
    }

    /// <summary>
    /// Reads more bytes into the buffer; false at the end of the stream. A read may already be outstanding (started by
    /// <see cref="WaitForDataOrCloseAsync"/> during a streaming response, then awaited by the request parser too):
    /// every caller awaits that same read, and exactly one of them adds its bytes to the buffer.
    /// </summary>
    private async ValueTask<bool> FillAsync()
    {
        var pending = _pending;
        if (pending is null)
        {
            if (_start > 0 && _start == _end)
            {
                _start = _end = 0;
            }
            if (_end == _buffer.Length)
            {
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                else
                {
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }
            }
            pending = _pending = _stream.ReadAsync(_buffer, _end, _buffer.Length - _end);
        }
        var n = 0;
        try
        {
            n = await pending.ConfigureAwait(false);
        }
        finally
        {
            // Whoever comes first applies the read; the lock makes sure the others see it applied when they return.
            lock (_gate)
            {
                if (_pending == pending)
                {
                    _pending = null;
                    _end += n;
                }
            }
        }
        return n > 0;
    }

    /// <summary>Completes when the peer sends data or closes; true means it closed (or failed).</summary>
    public async Task<bool> WaitForDataOrCloseAsync()
    {
        try
        {
            return !await FillAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>Reads a CRLF-terminated line (without the terminator); null at end of stream before any byte.</summary>
    public async ValueTask<string?> ReadLineAsync()
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var lf = span.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = Encoding.Latin1.GetString(span[..lf]).TrimEnd('\r');
                _start += lf + 1;
                return line;
            }
            if (_end - _start > MaxHeaderBytes)
            {
                throw new InvalidDataException("request header too large");
            }
            if (!await FillAsync().ConfigureAwait(false))
            {
                if (_end > _start)
                {
                    throw new EndOfStreamException("connection closed mid-line");
                }
                return null;
            }
        }
    }

    public async ValueTask ReadExactAsync(byte[] target, int offset, int count)
    {
        while (count > 0)
        {
            if (_end == _start && !await FillAsync().ConfigureAwait(false))
            {
                throw new EndOfStreamException("connection closed mid-body");
            }
            var n = Math.Min(count, _end - _start);
            Buffer.BlockCopy(_buffer, _start, target, offset, n);
            _start += n;
            offset += n;
            count -= n;
        }
    }
}
