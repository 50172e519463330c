using System.Buffers;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace RayPS.Dashboard;

/// <summary>How the cluster side of a port-forward stream ended.</summary>
internal enum StreamEnd
{
    /// <summary>A close frame, or we ended it (the local client left, Stop).</summary>
    Clean,

    /// <summary>The server reported an error on the error channel (the kubelet could not reach the port).</summary>
    Error,

    /// <summary>The connection dropped without a close frame while we were not closing: the pod may be gone.</summary>
    Dropped,
}

/// <summary>How one port-forward stream of a connection ended.</summary>
/// <param name="End">Clean, an error from the server, or a drop.</param>
/// <param name="Reason">The error text or the drop's message; null when clean.</param>
/// <param name="CanRetry">
/// The local connection is intact and may move to another pod: no answer byte arrived yet, and the request bytes
/// either never reached an application (the kubelet could not dial the port) or there were none.
/// </param>
internal readonly record struct PumpResult(StreamEnd End, string? Reason, bool CanRetry);

/// <summary>
/// Copies bytes both ways between one accepted local socket and a port-forward stream until either side ends,
/// counting them. When the local client stops sending, the stream is half-closed and the pod's answer still drains
/// (bounded by <see cref="DrainTimeout"/>); when the pod side ends, the local socket is shut down. An abrupt end of
/// the stream counts as a drop only when we had not started closing it ourselves.
/// Until the first answer byte arrives, the request bytes are kept (up to <see cref="MaxReplayBytes"/>), so that a
/// connection that reached a pod whose port refused it can be replayed on the next pod instead of failing.
/// </summary>
internal sealed class PortForwardPump : IDisposable
{
    public const int BufferSize = 64 * 1024;
    public const int MaxReplayBytes = 64 * 1024;
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);
    private const int SendBufferSize = 256 * 1024;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly Socket _client;
    private readonly TrafficCounters _counters;
    private byte[]? _replay;
    private int _replayLength;
    private bool _replayable = true;
    private bool _clientDone;
    private volatile bool _closing;
    private long _bytesFromPod;

    public PortForwardPump(Socket client, TrafficCounters counters)
    {
        _client = client;
        _counters = counters;
    }

    /// <summary>Answer bytes received from the pod for the local client, over every stream of this connection.</summary>
    public long BytesFromPod => Interlocked.Read(ref _bytesFromPod);

    /// <summary>Pumps over <paramref name="channel"/> (first replaying kept request bytes) until either side ends.</summary>
    public async Task<PumpResult> RunAsync(PortForwardChannel channel, CancellationToken ct)
    {
        _closing = false;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        (StreamEnd End, string? Reason) end;
        try
        {
            if (_replayLength > 0)
            {
                await channel.SendAsync(_replay.AsMemory(0, PortForwardChannel.DataOffset + _replayLength), cts.Token).ConfigureAwait(false);
            }
            end = await PumpAsync(channel, cts).ConfigureAwait(false);
        }
        catch (WebSocketException ex) when (!ct.IsCancellationRequested)
        {
            end = channel.ErrorText is { } error ? (StreamEnd.Error, error) : (StreamEnd.Dropped, ex.Message);
        }

        var canRetry = end.End != StreamEnd.Clean && !ct.IsCancellationRequested && BytesFromPod == 0 && !_clientDone && _replayable
            && (end.End == StreamEnd.Error || _replayLength == 0);
        if (!canRetry)
        {
            try
            {
                _client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }
        }
        return new PumpResult(end.End, end.Reason, canRetry);
    }

    public void Dispose()
    {
        if (_replay is not null)
        {
            ArrayPool<byte>.Shared.Return(_replay);
            _replay = null;
        }
    }

    private async Task<(StreamEnd, string?)> PumpAsync(PortForwardChannel channel, CancellationTokenSource cts)
    {
        var fromPod = FromPodAsync(channel, cts.Token);
        var toPod = ToPodAsync(channel, cts.Token);

        if (await Task.WhenAny(fromPod, toPod).ConfigureAwait(false) == toPod && !fromPod.IsCompleted)
        {
            // The local client finished sending (or went away): tell the pod, and let its answer drain.
            _closing = true;
            try
            {
                await channel.CloseOutputAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The stream is already broken; fromPod ends on its own.
            }
            await Task.WhenAny(fromPod, Task.Delay(DrainTimeout, cts.Token)).ConfigureAwait(false);
        }

        _closing = true;
        await cts.CancelAsync().ConfigureAwait(false);
        await channel.CloseAsync(CloseTimeout).ConfigureAwait(false);
        await toPod.ConfigureAwait(false);
        return await fromPod.ConfigureAwait(false);
    }

    /// <summary>
    /// Pod to local client. Stream reads land straight in one of two send buffers; reads that complete at once (data
    /// already buffered) are appended to the same batch, so the local socket gets fewer, larger writes and no byte is
    /// copied on the way. The next read is started before the batch is sent: into the rest of the buffer, or into the
    /// other one when this one is full.
    /// </summary>
    private async Task<(StreamEnd, string?)> FromPodAsync(PortForwardChannel channel, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(SendBufferSize);
        var spare = ArrayPool<byte>.Shared.Rent(SendBufferSize);
        var (batchStart, batchEnd) = (0, 0);
        var readsIntoSpare = false;
        var pending = channel.ReadAsync(buffer.AsMemory(0, BufferSize), ct);
        var outstanding = true;
        try
        {
            var ended = false;
            while (!ended)
            {
                outstanding = false;
                var data = await pending.ConfigureAwait(false);
                if (readsIntoSpare)
                {
                    (buffer, spare) = (spare, buffer);
                    (batchStart, batchEnd, readsIntoSpare) = (0, 0, false);
                }
                while (true)
                {
                    if (data.IsEmpty)
                    {
                        ended = true; // the stream ended
                        break;
                    }
                    batchEnd += Place(data, buffer, batchEnd);
                    readsIntoSpare = batchEnd + BufferSize > buffer.Length;
                    pending = readsIntoSpare
                        ? channel.ReadAsync(spare.AsMemory(0, BufferSize), ct)
                        : channel.ReadAsync(buffer.AsMemory(batchEnd, BufferSize), ct);
                    outstanding = true;
                    if (readsIntoSpare || !pending.IsCompletedSuccessfully)
                    {
                        break;
                    }
                    outstanding = false;
                    data = pending.Result;
                }
                var length = batchEnd - batchStart;
                if (length > 0)
                {
                    // Counted on receipt, so a client that has read the bytes always sees them counted.
                    _replayable = false;
                    Interlocked.Add(ref _bytesFromPod, length);
                    _counters.AddIn(length);
                    await SendAllAsync(buffer.AsMemory(batchStart, length), ct).ConfigureAwait(false);
                    batchStart = batchEnd;
                }
            }
            if (channel.ErrorText is { } error)
            {
                return (StreamEnd.Error, error);
            }
            _client.Shutdown(SocketShutdown.Send);
            return (StreamEnd.Clean, null);
        }
        catch (WebSocketException ex) when (!_closing && !ct.IsCancellationRequested)
        {
            return channel.ErrorText is { } error ? (StreamEnd.Error, error) : (StreamEnd.Dropped, ex.Message);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or WebSocketException)
        {
            // Cancelled by the other direction or by Stop, the local client went away, or the server dropped a
            // stream we were closing anyway: not the cluster's fault.
            return channel.ErrorText is { } error ? (StreamEnd.Error, error) : (StreamEnd.Clean, null);
        }
        finally
        {
            if (outstanding)
            {
                // A read may still be writing into a buffer: end it before the buffers go back to the pool.
                channel.Abort();
                await ((Task)pending.AsTask()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(spare);
        }
    }

    /// <summary>
    /// Makes the bytes of one read continue the batch at <paramref name="offset"/>. They are usually there already; the
    /// channel byte and port header a message starts with shift them by a few bytes, which an in-place move undoes.
    /// </summary>
    private static int Place(Memory<byte> data, byte[] buffer, int offset)
    {
        var target = buffer.AsMemory(offset, data.Length);
        if (!data.Equals(target))
        {
            data.Span.CopyTo(target.Span);
        }
        return data.Length;
    }

    /// <summary>Local client to pod; keeps the request bytes for a replay until the answer starts.</summary>
    private async Task ToPodAsync(PortForwardChannel channel, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize + PortForwardChannel.DataOffset);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await _client.ReceiveAsync(buffer.AsMemory(PortForwardChannel.DataOffset, BufferSize), SocketFlags.None, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    read = 0;
                }
                if (read == 0)
                {
                    _clientDone = true;
                    return;
                }
                Keep(buffer.AsSpan(PortForwardChannel.DataOffset, read));
                _counters.AddOut(read);
                await channel.SendAsync(buffer.AsMemory(0, PortForwardChannel.DataOffset + read), ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or WebSocketException)
        {
            // Cancelled, or the stream broke; FromPodAsync reports what the cluster side did.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Keep(ReadOnlySpan<byte> request)
    {
        if (!_replayable)
        {
            return;
        }
        if (_replayLength + request.Length > MaxReplayBytes)
        {
            _replayable = false;
            return;
        }
        _replay ??= ArrayPool<byte>.Shared.Rent(PortForwardChannel.DataOffset + MaxReplayBytes);
        request.CopyTo(_replay.AsSpan(PortForwardChannel.DataOffset + _replayLength));
        _replayLength += request.Length;
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            var sent = await _client.SendAsync(data, SocketFlags.None, ct).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
