using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;

namespace RayPS.Sandbox.Net.Spdy;

/// <summary>
/// The kubelet's port-forward server (protocol <c>portforward.k8s.io</c>) over one SPDY/3.1 connection, as kubectl uses it:
/// for every forwarded local connection the client opens an error stream and a data stream, both with headers
/// <c>streamType</c>, <c>port</c> and <c>requestID</c>; once both exist the data stream is connected to the pod's port.
/// A failure is written to the error stream in the container runtime's words; when forwarding ends both streams are
/// closed. Pings are answered; SETTINGS and WINDOW_UPDATE are accepted and ignored, as spdystream (the Go peer) does
/// no flow control either.
/// </summary>
internal sealed class SpdyPortForwardSession(Stream transport, IPodNetwork network, string ns, string pod, string podUid) : IDisposable
{
    public const string Protocol = "portforward.k8s.io";

    private const int DataChunk = 32 * 1024;

    // containerd gives the other direction this long to finish once one direction is done, then closes.
    private static readonly TimeSpan HalfCloseGrace = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SpdyHeaderCompressor _compressor = new();
    private readonly SpdyHeaderDecompressor _decompressor = new();
    private readonly object _gate = new();
    private readonly Dictionary<uint, ForwardStream> _streams = [];
    private readonly Dictionary<string, StreamPair> _pairs = new(StringComparer.Ordinal);
    private readonly List<Task> _forwards = [];
    private uint _lastClientStreamId;
    private bool _goneAway;

    /// <summary>Serves the connection until the client closes it or <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = new SpdyFrameReader(transport);
        try
        {
            while (await reader.ReadAsync(cts.Token).ConfigureAwait(false) is { } frame)
            {
                if (!frame.IsControl)
                {
                    await OnDataAsync(frame, cts.Token).ConfigureAwait(false);
                    continue;
                }
                switch (frame.Type)
                {
                    case SpdyFrameType.SynStream:
                        await OnSynStreamAsync(frame, cts.Token).ConfigureAwait(false);
                        break;
                    case SpdyFrameType.RstStream:
                        OnReset(frame.StreamId);
                        break;
                    case SpdyFrameType.Ping when (SpdyFrames.Word(frame, 0) & 1) == 1:
                        // Client pings have odd ids and are echoed; even ids would answer pings of ours (we send none).
                        await WriteFrameAsync(SpdyFrames.Ping(SpdyFrames.Word(frame, 0)), cts.Token).ConfigureAwait(false);
                        break;
                    case SpdyFrameType.GoAway:
                        lock (_gate)
                        {
                            _goneAway = true;
                        }
                        break;
                    case SpdyFrameType.Headers:
                        // Decoded only to keep the compression context in step; port-forward streams carry no trailers.
                        _decompressor.Decompress(SpdyFrames.ReplyHeaderBlock(frame));
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            // The client went away or broke the protocol: end every forward.
        }
        finally
        {
            cts.Cancel();
            Task[] forwards;
            lock (_gate)
            {
                foreach (var stream in _streams.Values)
                {
                    stream.Inbound.Writer.TryComplete();
                }
                forwards = [.. _forwards];
            }
            await Task.WhenAll(forwards).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _compressor.Dispose();
        _decompressor.Dispose();
        _writeGate.Dispose();
    }

    /// <summary>What the container runtime (containerd) reports when nothing listens on the port.</summary>
    public static string ConnectionRefusedMessage(int port, string podUid)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(podUid));
        var sandboxId = Convert.ToHexString(hash).ToLowerInvariant();
        var netns = "/var/run/netns/cni-" + new Guid(hash.AsSpan(0, 16)).ToString();
        return $"error forwarding port {port} to pod {sandboxId}, uid : failed to execute portforward in network namespace \"{netns}\": "
            + $"failed to connect to localhost:{port} inside namespace \"{sandboxId}\", "
            + $"IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: connect: connection refused ";
    }

    private async Task OnSynStreamAsync(SpdyFrame frame, CancellationToken ct)
    {
        // Every header block is decompressed, even of a stream about to be refused: the context spans the connection.
        var headers = _decompressor.Decompress(SpdyFrames.SynStreamHeaderBlock(frame));
        var id = frame.StreamId;
        bool goneAway;
        lock (_gate)
        {
            goneAway = _goneAway;
            if (id % 2 == 0 || id <= _lastClientStreamId)
            {
                id = 0;
            }
            else
            {
                _lastClientStreamId = id;
            }
        }
        if (id == 0)
        {
            await WriteFrameAsync(SpdyFrames.RstStream(frame.StreamId, SpdyRstStatus.ProtocolError), ct).ConfigureAwait(false);
            return;
        }
        if (goneAway)
        {
            return;
        }
        if (ParseStream(id, headers) is not { } stream)
        {
            // The kubelet refuses a stream without a valid port or stream type by resetting it.
            await WriteFrameAsync(SpdyFrames.RstStream(id, SpdyRstStatus.Cancel), ct).ConfigureAwait(false);
            return;
        }
        if (frame.Fin)
        {
            stream.Inbound.Writer.TryComplete();
        }
        StreamPair pair;
        string? conflict = null;
        var complete = false;
        lock (_gate)
        {
            _streams[id] = stream;
            if (!_pairs.TryGetValue(stream.RequestId, out pair!))
            {
                pair = new StreamPair(stream.RequestId);
                _pairs[stream.RequestId] = pair;
            }
            if (stream.IsError ? pair.Error is not null : pair.Data is not null)
            {
                conflict = $"error processing stream for request {stream.RequestId}: {(stream.IsError ? "error" : "data")} stream already assigned";
            }
            else if (stream.IsError)
            {
                pair.Error = stream;
            }
            else
            {
                pair.Data = stream;
            }
            complete = conflict is null && pair.Error is not null && pair.Data is not null;
        }
        await WriteSynReplyAsync(id, ct).ConfigureAwait(false);
        if (conflict is not null && pair.Error is { } errorStream)
        {
            await WriteDataAsync(errorStream.Id, Encoding.UTF8.GetBytes(conflict), fin: false, ct).ConfigureAwait(false);
        }
        if (complete)
        {
            lock (_gate)
            {
                _forwards.RemoveAll(t => t.IsCompleted);
                _forwards.Add(Task.Run(() => ForwardAsync(pair, ct), CancellationToken.None));
            }
        }
    }

    /// <summary>Validates the headers the way the kubelet does; null means the stream is refused.</summary>
    private static ForwardStream? ParseStream(uint id, List<KeyValuePair<string, string>> headers)
    {
        string? Header(string name) => headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
        if (!ushort.TryParse(Header("port"), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < 1)
        {
            return null;
        }
        var type = Header("streamType");
        if (type is not ("error" or "data"))
        {
            return null;
        }
        var requestId = Header("requestID");
        if (string.IsNullOrEmpty(requestId))
        {
            // Clients older than request ids open error then data streams with consecutive ids.
            requestId = (type == "error" ? id : id - 2).ToString(CultureInfo.InvariantCulture);
        }
        return new ForwardStream(id, type == "error", port, requestId);
    }

    private async Task OnDataAsync(SpdyFrame frame, CancellationToken ct)
    {
        ForwardStream? stream;
        lock (_gate)
        {
            _streams.TryGetValue(frame.StreamId, out stream);
        }
        if (stream is null)
        {
            return;
        }
        if (!stream.IsError && frame.Payload.Length > 0)
        {
            try
            {
                await stream.Inbound.Writer.WriteAsync(frame.Payload, ct).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // The forward already ended; late data is dropped.
            }
        }
        if (frame.Fin)
        {
            stream.Inbound.Writer.TryComplete();
        }
    }

    private void OnReset(uint id)
    {
        ForwardStream? stream;
        lock (_gate)
        {
            _streams.Remove(id, out stream);
        }
        if (stream is not null)
        {
            // Outside the lock: cancelling runs the forward's continuations, which take the lock themselves.
            stream.Reset = true;
            stream.Inbound.Writer.TryComplete();
            stream.Cancel.Cancel();
        }
    }

    private async Task ForwardAsync(StreamPair pair, CancellationToken ct)
    {
        var data = pair.Data!;
        var error = pair.Error!;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct, data.Cancel.Token, error.Cancel.Token);
        try
        {
            var connection = await network.ConnectAsync(ns, pod, data.Port, cts.Token).ConfigureAwait(false);
            if (connection is null)
            {
                await WriteDataAsync(error.Id, Encoding.UTF8.GetBytes(ConnectionRefusedMessage(data.Port, podUid)), fin: false, cts.Token).ConfigureAwait(false);
                return;
            }
            await using (connection.ConfigureAwait(false))
            {
                var toPod = CopyToPodAsync(data, connection, cts.Token);
                var fromPod = CopyFromPodAsync(connection, data, cts.Token);
                await Task.WhenAny(toPod, fromPod).ConfigureAwait(false);
                await Task.WhenAny(Task.WhenAll(toPod, fromPod), Task.Delay(HalfCloseGrace, cts.Token)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
        }
        finally
        {
            lock (_gate)
            {
                _pairs.Remove(pair.RequestId);
                _streams.Remove(data.Id);
                _streams.Remove(error.Id);
            }
            data.Inbound.Writer.TryComplete();
            // Like the kubelet: the error stream is closed first, then the data stream.
            await CloseAsync(error, ct).ConfigureAwait(false);
            await CloseAsync(data, ct).ConfigureAwait(false);
        }
    }

    private static async Task CopyToPodAsync(ForwardStream data, Stream connection, CancellationToken ct)
    {
        try
        {
            await foreach (var chunk in data.Inbound.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await connection.WriteAsync(chunk, ct).ConfigureAwait(false);
                await connection.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task CopyFromPodAsync(Stream connection, ForwardStream data, CancellationToken ct)
    {
        // Read straight after room for the frame header, so each chunk is framed in place.
        var frame = new byte[SpdyFrames.HeaderLength + DataChunk];
        try
        {
            int read;
            while ((read = await connection.ReadAsync(frame.AsMemory(SpdyFrames.HeaderLength), ct).ConfigureAwait(false)) > 0)
            {
                SpdyFrames.WriteDataHeader(frame, data.Id, flags: 0, read);
                await WriteFrameAsync(frame.AsMemory(0, SpdyFrames.HeaderLength + read), ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
        }
    }

    private async Task CloseAsync(ForwardStream stream, CancellationToken ct)
    {
        if (stream.Reset)
        {
            return;
        }
        try
        {
            await WriteDataAsync(stream.Id, ReadOnlyMemory<byte>.Empty, fin: true, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
        }
    }

    private Task WriteDataAsync(uint streamId, ReadOnlyMemory<byte> data, bool fin, CancellationToken ct) =>
        WriteFrameAsync(SpdyFrames.Data(streamId, fin ? SpdyFrame.FlagFin : (byte)0, data.Span), ct);

    private async Task WriteSynReplyAsync(uint streamId, CancellationToken ct)
    {
        // Compression and sending share the lock: the peer inflates header blocks in the order they were deflated.
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var headerBlock = _compressor.Compress([]);
            await transport.WriteAsync(SpdyFrames.SynReply(streamId, 0, headerBlock), ct).ConfigureAwait(false);
            await transport.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await transport.WriteAsync(frame, ct).ConfigureAwait(false);
            await transport.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private sealed class ForwardStream(uint id, bool isError, int port, string requestId)
    {
        public uint Id { get; } = id;
        public bool IsError { get; } = isError;
        public int Port { get; } = port;
        public string RequestId { get; } = requestId;

        /// <summary>Data from the client, bounded so a slow pod holds the client back instead of filling memory.</summary>
        public Channel<byte[]> Inbound { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });

        public CancellationTokenSource Cancel { get; } = new();

        private volatile bool _reset;

        /// <summary>The client reset the stream: nothing more is sent on it.</summary>
        public bool Reset { get => _reset; set => _reset = value; }
    }

    private sealed class StreamPair(string requestId)
    {
        public string RequestId { get; } = requestId;
        public ForwardStream? Error { get; set; }
        public ForwardStream? Data { get; set; }
    }
}
