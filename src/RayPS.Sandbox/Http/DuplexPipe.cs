using System.Buffers;

namespace RayPS.Sandbox.Http;

/// <summary>
/// An in-memory connection: two streams where what one writes the other reads. Each direction buffers at most
/// <see cref="Capacity"/> bytes, so a fast writer (a 100 MB download) waits for the reader like over TCP instead of
/// buffering everything; the buffers are pooled and only as large as the data in flight.
/// Disposing an end is a close: the peer reads the rest and then the end of the stream; like over TCP, the peer's
/// next write still succeeds (and is dropped) and the ones after it fail.
/// <see cref="Abort"/> drops the connection: both sides read what was already sent, then a reset (IOException).
/// </summary>
public sealed class DuplexPipe
{
    /// <summary>Bytes one direction holds before a writer waits.</summary>
    public const int Capacity = 256 * 1024;

    private readonly ByteQueue _toServer = new();
    private readonly ByteQueue _toClient = new();

    public DuplexPipe()
    {
        Client = new PipeEnd(_toClient, _toServer);
        Server = new PipeEnd(_toServer, _toClient);
    }

    /// <summary>The connecting side's stream.</summary>
    public Stream Client { get; }

    /// <summary>The listening side's stream.</summary>
    public Stream Server { get; }

    /// <summary>Creates a connected pair (client end, server end).</summary>
    public static (Stream Client, Stream Server) Create()
    {
        var pipe = new DuplexPipe();
        return (pipe.Client, pipe.Server);
    }

    /// <summary>Drops the connection: both sides read what was already sent, then get a reset; further writes fail.</summary>
    public void Abort()
    {
        _toServer.Reset();
        _toClient.Reset();
    }

    /// <summary>One direction: a bounded queue of pooled segments with at most one waiting reader and one waiting writer.</summary>
    private sealed class ByteQueue
    {
        private const int MinSegmentSize = 16 * 1024;

        private readonly object _gate = new();
        private readonly Queue<Segment> _segments = new();
        private Segment? _tail;
        private int _buffered;
        private bool _writingDone;
        private bool _reset;
        private bool _readerGone;
        private bool _droppedAfterReaderGone;
        private TaskCompletionSource? _readerWaiting;
        private TaskCompletionSource? _writerWaiting;

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            while (!data.IsEmpty)
            {
                Task? full = null;
                TaskCompletionSource? reader;
                lock (_gate)
                {
                    if (_readerGone && !_droppedAfterReaderGone)
                    {
                        _droppedAfterReaderGone = true;
                        return;
                    }
                    if (_writingDone || _readerGone)
                    {
                        throw new IOException("the other end of the in-memory connection is closed");
                    }
                    var room = Capacity - _buffered;
                    if (room == 0)
                    {
                        full = (_writerWaiting ??= NewWaiter()).Task;
                    }
                    else
                    {
                        var n = Math.Min(room, data.Length);
                        Append(data.Span[..n]);
                        data = data[n..];
                    }
                    reader = full is null ? TakeWaiter(ref _readerWaiting) : null;
                }
                reader?.TrySetResult();
                if (full is not null)
                {
                    await full.WaitAsync(ct).ConfigureAwait(false);
                }
            }
        }

        public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }
            while (true)
            {
                Task? empty = null;
                TaskCompletionSource? writer = null;
                var read = 0;
                lock (_gate)
                {
                    if (_buffered > 0)
                    {
                        read = Take(buffer.Span);
                        writer = TakeWaiter(ref _writerWaiting);
                    }
                    else if (_reset && !_readerGone)
                    {
                        throw new IOException("the in-memory connection was reset");
                    }
                    else if (_writingDone || _readerGone)
                    {
                        return 0;
                    }
                    else
                    {
                        empty = (_readerWaiting ??= NewWaiter()).Task;
                    }
                }
                if (empty is null)
                {
                    writer?.TrySetResult();
                    return read;
                }
                await empty.WaitAsync(ct).ConfigureAwait(false);
            }
        }

        /// <summary>The writer is done: the reader drains what is buffered, then sees the end.</summary>
        public void CompleteWriting() => End(reset: false);

        /// <summary>The connection dropped: the reader drains what is buffered, then gets an IOException.</summary>
        public void Reset() => End(reset: true);

        private void End(bool reset)
        {
            TaskCompletionSource? reader, writer;
            lock (_gate)
            {
                _reset |= reset && !_writingDone;
                _writingDone = true;
                reader = TakeWaiter(ref _readerWaiting);
                writer = TakeWaiter(ref _writerWaiting);
            }
            reader?.TrySetResult();
            writer?.TrySetResult();
        }

        /// <summary>The reader is gone: what is buffered is dropped, the next write too, and the ones after it fail.</summary>
        public void CompleteReading()
        {
            TaskCompletionSource? reader, writer;
            lock (_gate)
            {
                _readerGone = true;
                while (_segments.TryDequeue(out var segment))
                {
                    ArrayPool<byte>.Shared.Return(segment.Buffer);
                }
                _tail = null;
                _buffered = 0;
                reader = TakeWaiter(ref _readerWaiting);
                writer = TakeWaiter(ref _writerWaiting);
            }
            reader?.TrySetResult();
            writer?.TrySetResult();
        }

        // Continuations run on the thread pool: a writer never runs the reader's work inline (and vice versa).
        private static TaskCompletionSource NewWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);

        private static TaskCompletionSource? TakeWaiter(ref TaskCompletionSource? waiter)
        {
            var taken = waiter;
            waiter = null;
            return taken;
        }

        private void Append(ReadOnlySpan<byte> data)
        {
            _buffered += data.Length;
            while (!data.IsEmpty)
            {
                if (_tail is null || _tail.End == _tail.Buffer.Length)
                {
                    _tail = new Segment(ArrayPool<byte>.Shared.Rent(Math.Max(MinSegmentSize, data.Length)));
                    _segments.Enqueue(_tail);
                }
                var n = Math.Min(data.Length, _tail.Buffer.Length - _tail.End);
                data[..n].CopyTo(_tail.Buffer.AsSpan(_tail.End));
                _tail.End += n;
                data = data[n..];
            }
        }

        private int Take(Span<byte> target)
        {
            var read = 0;
            while (read < target.Length && _segments.TryPeek(out var head))
            {
                var n = Math.Min(target.Length - read, head.End - head.Start);
                head.Buffer.AsSpan(head.Start, n).CopyTo(target[read..]);
                head.Start += n;
                read += n;
                if (head.Start == head.End)
                {
                    _segments.Dequeue();
                    ArrayPool<byte>.Shared.Return(head.Buffer);
                    if (ReferenceEquals(head, _tail))
                    {
                        _tail = null;
                    }
                }
            }
            _buffered -= read;
            return read;
        }

        private sealed class Segment(byte[] buffer)
        {
            public byte[] Buffer { get; } = buffer;
            public int Start { get; set; }
            public int End { get; set; }
        }
    }

    private sealed class PipeEnd(ByteQueue incoming, ByteQueue outgoing) : DuplexStream
    {
        private int _disposed;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            incoming.ReadAsync(buffer, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            outgoing.WriteAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                outgoing.CompleteWriting();
                incoming.CompleteReading();
            }
            base.Dispose(disposing);
        }
    }
}
