using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace RayPS.Sandbox.Net.Spdy;

/// <summary>
/// SPDY/3 name/value header blocks: a 32-bit pair count, then per pair a 32-bit length and the lowercase name, a
/// 32-bit length and the value (several values joined by NUL). Blocks are zlib-compressed with the SPDY/3 preset
/// dictionary, one compression context per direction of a connection, each block ending in a sync flush.
/// </summary>
internal static class SpdyHeaderBlock
{
    /// <summary>The SPDY/3 zlib dictionary (draft 3, section 2.6.10.1): length-prefixed header tokens, then common values.</summary>
    public static readonly byte[] Dictionary = BuildDictionary();

    public static readonly uint DictionaryId = Adler32(Dictionary);

    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var pairs = headers.ToList();
        using var block = new MemoryStream();
        WriteUInt32(block, (uint)pairs.Count);
        foreach (var (name, value) in pairs)
        {
            WriteString(block, name.ToLowerInvariant());
            WriteString(block, value);
        }
        return block.ToArray();
    }

    /// <summary>Reads one uncompressed block from <paramref name="source"/>, consuming exactly its bytes.</summary>
    public static List<KeyValuePair<string, string>> Read(Stream source)
    {
        var count = ReadUInt32(source);
        var headers = new List<KeyValuePair<string, string>>();
        for (var i = 0u; i < count; i++)
        {
            var name = ReadString(source);
            var value = ReadString(source);
            headers.Add(new(name, value));
        }
        return headers;
    }

    public static uint Adler32(ReadOnlySpan<byte> data)
    {
        const uint Mod = 65521;
        uint a = 1, b = 0;
        foreach (var x in data)
        {
            a = (a + x) % Mod;
            b = (b + a) % Mod;
        }
        return b << 16 | a;
    }

    private static void WriteUInt32(Stream stream, uint value)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, value);
        stream.Write(word);
    }

    private static void WriteString(Stream stream, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        WriteUInt32(stream, (uint)bytes.Length);
        stream.Write(bytes);
    }

    private static uint ReadUInt32(Stream stream)
    {
        Span<byte> word = stackalloc byte[4];
        stream.ReadExactly(word);
        return BinaryPrimitives.ReadUInt32BigEndian(word);
    }

    private static string ReadString(Stream stream)
    {
        var length = ReadUInt32(stream);
        if (length > SpdyFrames.MaxPayloadLength)
        {
            throw new InvalidDataException("a SPDY header name or value is longer than a frame");
        }
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    private static byte[] BuildDictionary()
    {
        string[] tokens =
        [
            "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding", "accept-language",
            "accept-ranges", "age", "allow", "authorization", "cache-control", "connection", "content-base", "content-encoding",
            "content-language", "content-length", "content-location", "content-md5", "content-range", "content-type", "date", "etag",
            "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
            "last-modified", "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
            "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
            "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive",
            "origin",
        ];
        const string Values =
            "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
            + "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden"
            + "404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
            + "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
            + "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,"
            + "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";
        using var dictionary = new MemoryStream();
        foreach (var token in tokens)
        {
            WriteString(dictionary, token);
        }
        dictionary.Write(Encoding.ASCII.GetBytes(Values));
        return dictionary.ToArray();
    }
}

/// <summary>
/// Compresses header blocks for one direction of a connection. The output is a zlib stream that announces the SPDY
/// dictionary (as every SPDY peer expects) and is sync-flushed after each block; .NET's deflater cannot take a preset
/// dictionary, so the blocks simply never refer back into it, which any inflater accepts.
/// </summary>
internal sealed class SpdyHeaderCompressor : IDisposable
{
    private readonly MemoryStream _output = new();
    private readonly DeflateStream _deflater;
    private bool _started;

    public SpdyHeaderCompressor()
    {
        _deflater = new DeflateStream(_output, CompressionLevel.Fastest, leaveOpen: true);
    }

    public byte[] Compress(IEnumerable<KeyValuePair<string, string>> headers)
    {
        _output.SetLength(0);
        if (!_started)
        {
            WriteZlibHeader(_output);
            _started = true;
        }
        _deflater.Write(SpdyHeaderBlock.Encode(headers));
        _deflater.Flush();
        return _output.ToArray();
    }

    public void Dispose()
    {
        _deflater.Dispose();
        _output.Dispose();
    }

    private static void WriteZlibHeader(Stream output)
    {
        const byte Deflate32K = 0x78;
        const byte PresetDictionary = 0x20;
        var flags = (byte)(0x80 | PresetDictionary); // FLEVEL 2: the default level
        flags += (byte)((31 - (Deflate32K << 8 | flags) % 31) % 31);
        output.WriteByte(Deflate32K);
        output.WriteByte(flags);
        Span<byte> id = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(id, SpdyHeaderBlock.DictionaryId);
        output.Write(id);
    }
}

/// <summary>
/// Decompresses the header blocks of one direction of a connection. .NET's inflater takes no preset dictionary, so the
/// raw deflate data is preceded by a stored (uncompressed) block holding the dictionary: inflating it puts the
/// dictionary in the window, where later back-references find it, and its output is discarded.
/// </summary>
internal sealed class SpdyHeaderDecompressor : IDisposable
{
    private readonly ChunkFeed _feed = new();
    private readonly DeflateStream _inflater;
    private bool _started;

    public SpdyHeaderDecompressor()
    {
        _inflater = new DeflateStream(_feed, CompressionMode.Decompress, leaveOpen: true);
    }

    public List<KeyValuePair<string, string>> Decompress(ReadOnlyMemory<byte> compressed)
    {
        if (!_started)
        {
            StartStream(compressed);
            _started = true;
        }
        else
        {
            _feed.Add(compressed);
        }
        try
        {
            return SpdyHeaderBlock.Read(_inflater);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("a SPDY header block is truncated", ex);
        }
    }

    public void Dispose()
    {
        _inflater.Dispose();
    }

    private void StartStream(ReadOnlyMemory<byte> compressed)
    {
        var span = compressed.Span;
        if (span.Length < 2 || (span[0] & 0x0F) != 8 || (span[0] << 8 | span[1]) % 31 != 0)
        {
            throw new InvalidDataException("a SPDY header block does not start a zlib stream");
        }
        var presetDictionary = (span[1] & 0x20) != 0;
        if (!presetDictionary)
        {
            _feed.Add(compressed[2..]);
            return;
        }
        if (span.Length < 6 || BinaryPrimitives.ReadUInt32BigEndian(span[2..]) != SpdyHeaderBlock.DictionaryId)
        {
            throw new InvalidDataException("a SPDY header block needs an unknown zlib dictionary");
        }
        var dictionary = SpdyHeaderBlock.Dictionary;
        var stored = new byte[5 + dictionary.Length];
        // BFINAL=0, BTYPE=00 (stored), then LEN and its one's complement, little-endian.
        BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(1), (ushort)dictionary.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(3), (ushort)~dictionary.Length);
        dictionary.CopyTo(stored.AsSpan(5));
        _feed.Add(stored);
        _feed.Add(compressed[6..]);
        var discard = new byte[dictionary.Length];
        _inflater.ReadExactly(discard);
    }

    /// <summary>A read-only stream of the chunks added so far; reading past them returns 0 until more are added.</summary>
    private sealed class ChunkFeed : Stream
    {
        private readonly Queue<ReadOnlyMemory<byte>> _chunks = new();
        private ReadOnlyMemory<byte> _current;

        public void Add(ReadOnlyMemory<byte> chunk) => _chunks.Enqueue(chunk);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (_current.IsEmpty && _chunks.TryDequeue(out var next))
            {
                _current = next;
            }
            var n = Math.Min(buffer.Length, _current.Length);
            _current.Span[..n].CopyTo(buffer);
            _current = _current[n..];
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
