using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace RayPS.Sandbox.Http;

/// <summary>
/// Accepts loopback TCP connections, optionally wraps them in TLS (ALPN offers only http/1.1 so Go
/// clients stay on HTTP/1.1) and serves each with <see cref="HttpConnection"/>.
/// </summary>
public sealed class HttpServer : IAsyncDisposable
{
    /// <summary>
    /// Go's crypto/tls order on AES hardware, as kube-apiserver negotiates: AES-128-GCM first (OpenSSL's own order puts
    /// AES-256 first, which costs bulk streams such as port-forwards more CPU for nothing the API server would do).
    /// Null where .NET cannot set a policy (Windows, macOS): the platform's order then applies.
    /// </summary>
    private static readonly CipherSuitesPolicy? GoCipherSuites = OperatingSystem.IsLinux()
        ? new CipherSuitesPolicy(
        [
            TlsCipherSuite.TLS_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ])
        : null;

    private readonly TcpListener _listener;
    private readonly X509Certificate2? _certificate;
    private readonly HttpHandler _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _connections = new();
    private readonly Task _acceptLoop;

    private HttpServer(TcpListener listener, X509Certificate2? certificate, HttpHandler handler)
    {
        _listener = listener;
        _certificate = certificate;
        _handler = handler;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The bound port.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0 = any free port); TLS when a certificate is given.</summary>
    public static HttpServer Start(int port, X509Certificate2? certificate, HttpHandler handler)
    {
        if (port != 0)
        {
            RefuseWildcardHolder(port);
        }
        var listener = new TcpListener(IPAddress.Loopback, port);
        if (OperatingSystem.IsWindows())
        {
            listener.ExclusiveAddressUse = true;
        }
        listener.Start(128);
        return new HttpServer(listener, certificate, handler);
    }

    /// <summary>
    /// Windows and macOS let 127.0.0.1:P be bound beside another program's 0.0.0.0:P (or [::]:P), which would then lose its
    /// local traffic to the sandbox; Linux refuses. Probing the wildcards makes every OS refuse (AddressAlreadyInUse).
    /// </summary>
    private static void RefuseWildcardHolder(int port)
    {
        foreach (var wildcard in new[] { IPAddress.Any, IPAddress.IPv6Any })
        {
            using var probe = new Socket(wildcard.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (wildcard.AddressFamily == AddressFamily.InterNetworkV6) probe.DualMode = false;
                if (OperatingSystem.IsWindows()) probe.ExclusiveAddressUse = true;
                probe.Bind(new IPEndPoint(wildcard, port));
            }
            catch (SocketException ex) when (ex.SocketErrorCode != SocketError.AddressAlreadyInUse)
            {
                // This address family is unavailable here: nothing can hold it.
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            socket.NoDelay = true;
            _connections[socket] = 0;
            _ = Task.Run(() => ServeSocketAsync(socket));
        }
    }

    private async Task ServeSocketAsync(Socket socket)
    {
        try
        {
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_certificate is not null)
            {
                var sends = new SendCoalescingStream(stream);
                var tls = new SslStream(sends, leaveInnerStreamOpen: false);
                try
                {
                    using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    handshakeTimeout.CancelAfter(TimeSpan.FromSeconds(30));
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = _certificate,
                        ApplicationProtocols = [SslApplicationProtocol.Http11],
                        ClientCertificateRequired = false,
                        CipherSuitesPolicy = GoCipherSuites,
                    }, handshakeTimeout.Token).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    await tls.DisposeAsync().ConfigureAwait(false);
                    return;
                }
                sends.StartCoalescing();
                stream = tls;
            }
            await HttpConnection.ServeAsync(stream, _handler, _stop.Token).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var socket in _connections.Keys)
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            socket.Dispose();
        }
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
