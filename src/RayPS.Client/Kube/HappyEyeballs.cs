using System.Net;
using System.Net.Sockets;

namespace RayPS.Kube;

/// <summary>
/// Connects like Go's net.Dialer (RFC 6555 "happy eyeballs"): the addresses of the first family in DNS order are tried in
/// turn, and 300 ms later (or as soon as they all fail) the other family starts in parallel; the first connection wins.
/// Sequential attempts would wait out each refused address, which on Windows costs about 2 s for a loopback
/// <c>localhost</c> whose server listens on one family only.
/// </summary>
internal static class HappyEyeballs
{
    public static TimeSpan FallbackDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>A SocketsHttpHandler connect callback: the context's endpoint, as a stream that owns its socket.</summary>
    /// <remarks>
    /// An IP address (the usual kubeconfig server, and in-cluster) has nothing to race: it is one connect in one async
    /// method, since every async layer on a first request is code the JIT compiles (docs/benchmarks.md, 05-FirstCall).
    /// </remarks>
    public static ValueTask<Stream> ConnectStreamAsync(SocketsHttpConnectionContext context, CancellationToken ct) =>
        IPAddress.TryParse(context.DnsEndPoint.Host.Trim('[', ']'), out var literal)
            ? ConnectOneStreamAsync(new IPEndPoint(literal, context.DnsEndPoint.Port), ct)
            : ResolveAndConnectStreamAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct);

    private static async ValueTask<Stream> ResolveAndConnectStreamAsync(string host, int port, CancellationToken ct) =>
        new NetworkStream(await ConnectAsync(host, port, ct).ConfigureAwait(false), ownsSocket: true);

    private static async ValueTask<Stream> ConnectOneStreamAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        var socket = NewSocket(endpoint.AddressFamily);
        try
        {
            await socket.ConnectAsync(endpoint, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async Task<Socket> ConnectAsync(string host, int port, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? new[] { literal }
            : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        return await ConnectAsync(addresses, port, ct).ConfigureAwait(false);
    }

    public static async Task<Socket> ConnectAsync(IReadOnlyList<IPAddress> addresses, int port, CancellationToken ct)
    {
        if (addresses.Count == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }
        var primaryFamily = addresses[0].AddressFamily;
        var primary = addresses.Where(a => a.AddressFamily == primaryFamily).ToList();
        var fallback = addresses.Where(a => a.AddressFamily != primaryFamily).ToList();
        if (fallback.Count == 0)
        {
            return await ConnectInTurnAsync(primary, port, ct).ConfigureAwait(false);
        }

        using var race = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pending = new List<Task<Socket>> { ConnectInTurnAsync(primary, port, race.Token) };
        var head = await Task.WhenAny(pending[0], Task.Delay(FallbackDelay, race.Token)).ConfigureAwait(false);
        if (head == pending[0] && pending[0].IsCompletedSuccessfully)
        {
            return pending[0].Result;
        }
        pending.Add(ConnectInTurnAsync(fallback, port, race.Token));

        Exception? failure = null;
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            if (done.IsCompletedSuccessfully)
            {
                race.Cancel();
                foreach (var loser in pending)
                {
                    _ = loser.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                }
                return done.Result;
            }
            failure ??= done.Exception?.InnerException;
        }
        ct.ThrowIfCancellationRequested();
        throw failure ?? new SocketException((int)SocketError.ConnectionRefused);
    }

    private static async Task<Socket> ConnectInTurnAsync(IReadOnlyList<IPAddress> addresses, int port, CancellationToken ct)
    {
        Exception? failure = null;
        foreach (var address in addresses)
        {
            var socket = NewSocket(address.AddressFamily);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), ct).ConfigureAwait(false);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                failure = ex;
                ct.ThrowIfCancellationRequested();
            }
        }
        throw failure!;
    }

    private static Socket NewSocket(AddressFamily family) => new(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
}
