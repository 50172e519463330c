using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Net;

namespace RayPS.Sandbox.Ray;

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
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<DuplexPipe, CancellationTokenSource>> _open = new(StringComparer.Ordinal);

    private readonly Func<string, string, JsonObject?>? _podLookup;

    /// <param name="registry">The Ray processes.</param>
    /// <param name="fallback">Where ports no Ray process listens on go.</param>
    /// <param name="podLookup">Reads a pod as stored, so fault annotations apply to the very next request.</param>
    public SimulatedPodNetwork(RayRegistry registry, IPodNetwork? fallback, Func<string, string, JsonObject?>? podLookup = null)
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

    public ValueTask<Stream?> ConnectAsync(string @namespace, string pod, int port, CancellationToken cancellationToken) =>
        OpenAsync(@namespace, pod, port, storedPod: null, cancellationToken);

    public ValueTask<Stream?> ConnectAsync(string @namespace, string pod, int port, JsonObject storedPod, CancellationToken cancellationToken) =>
        OpenAsync(@namespace, pod, port, storedPod, cancellationToken);

    // storedPod: the pod's metadata as the API server just read it, applied now, so the first request needs no lookup.
    private async ValueTask<Stream?> OpenAsync(string @namespace, string pod, int port, JsonObject? storedPod, CancellationToken cancellationToken)
    {
        var uid = _registry.PodUid(@namespace, pod);
        if (uid is null || _registry.Endpoint(@namespace, pod, port) is null)
        {
            return _fallback is null ? null
                : storedPod is null ? await _fallback.ConnectAsync(@namespace, pod, port, cancellationToken).ConfigureAwait(false)
                : await _fallback.ConnectAsync(@namespace, pod, port, storedPod, cancellationToken).ConfigureAwait(false);
        }
        if (storedPod is not null)
        {
            _registry.PodUpdated(storedPod);
        }
        var pipe = new DuplexPipe();
        var cts = new CancellationTokenSource();
        var connections = _open.GetOrAdd(uid, _ => new ConcurrentDictionary<DuplexPipe, CancellationTokenSource>());
        connections[pipe] = cts;
        var current = storedPod is not null;
        // The endpoint is resolved per request, so a keep-alive connection keeps following the process it was opened to.
        var handler = RayHttpAdapter.Handler(() =>
        {
            if (_registry.PodUid(@namespace, pod) != uid)
            {
                return null;
            }
            if (!current)
            {
                Refresh(@namespace, pod);
            }
            current = false;
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
                // ServeAsync closed its end: the client reads the rest, then the end of the stream.
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
