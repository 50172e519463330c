using System.IO.Pipelines;

namespace RayPS.Client.Tests.Dashboard.Support;

/// <summary>One end of an in-memory, full-duplex byte stream: what one end writes, the other reads.</summary>
internal sealed class DuplexPipeStream : Stream
{
    private readonly Stream _read;
    private readonly Stream _write;

    private DuplexPipeStream(Stream read, Stream write)
    {
        _read = read;
        _write = write;
    }

    public static (DuplexPipeStream A, DuplexPipeStream B) CreatePair()
    {
        var aToB = new Pipe();
        var bToA = new Pipe();
        return (new DuplexPipeStream(bToA.Reader.AsStream(), aToB.Writer.AsStream()),
                new DuplexPipeStream(aToB.Reader.AsStream(), bToA.Writer.AsStream()));
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => _write.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => _write.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => _read.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _read.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _read.ReadAsync(buffer, offset, count, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => _write.Write(buffer, offset, count);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _write.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _write.WriteAsync(buffer, offset, count, cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _read.Dispose();
            _write.Dispose();
        }
        base.Dispose(disposing);
    }
}
