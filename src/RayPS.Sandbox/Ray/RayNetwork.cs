using System.Collections.Concurrent;
using System.Threading.Channels;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Net;

namespace RayPS.Sandbox.Ray;

/// <summary>
/// An in-memory connection with back-pressure: each direction holds at most a few chunks, so a
/// fast writer (a 100 MB download) waits for the reader instead of buffering everything.
/// <see cref="Abort"/> ends both directions (the connection drops).
/// </summary>
internal sealed class BoundedPipe
{
    private const int Capacity = 16;
    private readonly Channel<byte[]> _toServer = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Capacity) { SingleReader = true });
    private readonly Channel<byte[]> _toClient = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Capacity) { SingleReader = true });

    public BoundedPipe()
    {
        Client = new End(_toClient.Reader, _toServer.Writer);
        Server = new End(_toServer.Reader, _toClient.Writer);
    }

    public Stream Client { get; }
    public Stream Server { get; }

    public void Abort()
    {
        _toServer.Writer.TryComplete();
        _toClient.Writer.TryComplete();
    }

    private sealed class End(ChannelReader<byte[]> incoming, ChannelWriter<byte[]> outgoing) : Stream
    {
        private byte[] _current = [];
        private int _offset;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_offset >= _current.Length)
            {
                if (!await incoming.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return 0;
                }
                if (incoming.TryRead(out var next))
                {
                    _current = next;
                    _offset = 0;
                }
            }
            var n = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsSpan(_offset, n).CopyTo(buffer.Span);
            _offset += n;
            return n;
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

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
                await outgoing.WriteAsync(buffer.ToArray(), cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException ex)
            {
                throw new IOException("the connection was closed", ex);
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
                outgoing.TryComplete();
            }
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync()
        {
            outgoing.TryComplete();
            return base.DisposeAsync();
        }
    }
}

/// <summary>Serves an <see cref="IRayEndpoint"/> through the sandbox's HTTP/1.1 core (aiohttp's headers).</summary>
internal static class RayHttpAdapter
{
    public const string ServerHeader = "Python/3.11 aiohttp/3.11.18";

    /// <summary>An HTTP handler that asks <paramref name="resolve"/> for the endpoint on every request (null: drop the connection).</summary>
    public static HttpHandler Handler(Func<IRayEndpoint?> resolve) => async (request, response) =>
    {
        if (resolve() is not { } endpoint)
        {
            response.Abort();
            return;
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in request.Headers)
        {
            headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
        }
        var ray = new RayRequest(request.Method, request.Target, headers, request.Body);
        var answer = await endpoint.HandleAsync(ray, request.Aborted).ConfigureAwait(false);
        if (answer.WebSocket is { } session && request.IsWebSocketUpgrade)
        {
            response.Headers["Server"] = ServerHeader;
            using var socket = await response.AcceptWebSocketAsync(request, null, request.Aborted).ConfigureAwait(false);
            await session(socket, request.Aborted).ConfigureAwait(false);
            return;
        }
        await WriteAsync(answer, response, request.Aborted).ConfigureAwait(false);
    };

    public static async Task WriteAsync(RayResponse answer, HttpResponse response, CancellationToken ct)
    {
        response.StatusCode = answer.Status;
        response.Headers["Content-Type"] = answer.ContentType;
        foreach (var (name, value) in answer.Headers)
        {
            response.Headers[name] = value;
        }
        response.Headers["Server"] = ServerHeader;
        if (answer.StreamBody is null)
        {
            await response.WriteAsync(answer.Body, ct).ConfigureAwait(false);
            return;
        }
        var body = await response.StartChunkedAsync(ct).ConfigureAwait(false);
        await answer.StreamBody(body, ct).ConfigureAwait(false);
        await body.CompleteAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// The pod network of the simulated cluster: a pod's port answers when its Ray process listens there
/// (dashboard, dashboard agent, metrics); otherwise the request falls through to
/// the fallback network (listeners registered on the sandbox's own pod network). Each
/// connection gets its own in-memory stream; when the Ray process stops (pod deleted, restarted)
/// its open connections — including port-forwards — drop.
/// </summary>
internal sealed class SimulatedPodNetwork : IPodNetwork
{
    private readonly RayRegistry _registry;
    private readonly IPodNetwork? _fallback;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<BoundedPipe, CancellationTokenSource>> _open = new(StringComparer.Ordinal);

    private readonly Func<string, string, System.Text.Json.Nodes.JsonObject?>? _podLookup;

    /// <param name="registry">The Ray processes.</param>
    /// <param name="fallback">Where ports no Ray process listens on go.</param>
    /// <param name="podLookup">Reads a pod as stored, so fault annotations apply to the very next request.</param>
    public SimulatedPodNetwork(RayRegistry registry, IPodNetwork? fallback, Func<string, string, System.Text.Json.Nodes.JsonObject?>? podLookup = null)
    {
        _registry = registry;
        _fallback = fallback;
        _podLookup = podLookup;
        registry.ProcessEnded += Drop;
    }

    /// <summary>Applies the pod's current fault annotations before a request is answered.</summary>
    internal void Refresh(string @namespace, string pod)
    {
        if (_podLookup?.Invoke(@namespace, pod) is { } current)
        {
            _registry.PodUpdated(current);
        }
    }

    public async ValueTask<Stream?> ConnectAsync(string @namespace, string pod, int port, CancellationToken cancellationToken)
    {
        var uid = _registry.PodUid(@namespace, pod);
        if (uid is null || _registry.Endpoint(@namespace, pod, port) is null)
        {
            return _fallback is null ? null : await _fallback.ConnectAsync(@namespace, pod, port, cancellationToken).ConfigureAwait(false);
        }
        var pipe = new BoundedPipe();
        var cts = new CancellationTokenSource();
        var connections = _open.GetOrAdd(uid, _ => new ConcurrentDictionary<BoundedPipe, CancellationTokenSource>());
        connections[pipe] = cts;
        // The endpoint is resolved per request, so a keep-alive connection keeps following the process it was opened to.
        var handler = RayHttpAdapter.Handler(() =>
        {
            if (_registry.PodUid(@namespace, pod) != uid)
            {
                return null;
            }
            Refresh(@namespace, pod);
            return _registry.Endpoint(@namespace, pod, port);
        });
        _ = Task.Run(async () =>
        {
            try
            {
                await HttpConnection.ServeAsync(pipe.Server, handler, cts.Token).ConfigureAwait(false);
            }
            finally
            {
                pipe.Abort();
                connections.TryRemove(pipe, out _);
                cts.Dispose();
            }
        }, CancellationToken.None);
        return pipe.Client;
    }

    private void Drop(string podUid)
    {
        if (!_open.TryRemove(podUid, out var connections))
        {
            return;
        }
        foreach (var (pipe, cts) in connections)
        {
            try
            {
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
            pipe.Abort();
        }
    }
}
