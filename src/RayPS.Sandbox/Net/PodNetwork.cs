using System.Collections.Concurrent;
using RayPS.Sandbox.Http;

namespace RayPS.Sandbox.Net;

/// <summary>
/// An in-memory <see cref="IPodNetwork"/>: listeners registered per (namespace, pod, port). Each
/// connection gets a fresh in-memory duplex stream whose server end is handed to the listener —
/// either raw (any protocol) or served as HTTP/1.1 with <see cref="HttpConnection"/>.
/// </summary>
public sealed class PodNetwork : IPodNetwork
{
    private readonly ConcurrentDictionary<(string Namespace, string Pod, int Port), Func<Stream, CancellationToken, Task>> _listeners = new();

    /// <summary>Listens with a raw connection handler.</summary>
    public void Listen(string @namespace, string pod, int port, Func<Stream, CancellationToken, Task> onConnection) =>
        _listeners[(@namespace, pod, port)] = onConnection;

    /// <summary>Listens with an HTTP/1.1 handler (keep-alive, chunked, WebSocket upgrades all work).</summary>
    public void ListenHttp(string @namespace, string pod, int port, HttpHandler handler) =>
        Listen(@namespace, pod, port, (stream, ct) => HttpConnection.ServeAsync(stream, handler, ct));

    public bool StopListening(string @namespace, string pod, int port) => _listeners.TryRemove((@namespace, pod, port), out _);

    /// <summary>Removes every listener of a pod (e.g. when it is deleted).</summary>
    public void StopPod(string @namespace, string pod)
    {
        foreach (var key in _listeners.Keys.Where(k => k.Namespace == @namespace && k.Pod == pod))
        {
            _listeners.TryRemove(key, out _);
        }
    }

    public ValueTask<Stream?> ConnectAsync(string @namespace, string pod, int port, CancellationToken cancellationToken)
    {
        if (!_listeners.TryGetValue((@namespace, pod, port), out var onConnection))
        {
            return ValueTask.FromResult<Stream?>(null);
        }
        var (client, server) = DuplexPipe.Create();
        _ = Task.Run(async () =>
        {
            try
            {
                await onConnection(server, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }, CancellationToken.None);
        return ValueTask.FromResult<Stream?>(client);
    }
}
