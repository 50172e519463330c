// The least any port-forward through an HTTPS API server must do per byte, measured on this machine: a TLS hop (SslStream
// writing 128 KB at a time, SslStream reading) followed by a plain relay hop to a local socket, with nothing else (no HTTP,
// WebSocket, API server or dashboard). Compiled by 40-Dashboard.Bench.ps1 with Add-Type; BCL only.
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;

public static class RayPSBenchTlsFloor
{
    /// <summary>MB/s and CPU ms of this process for one transfer of <paramref name="bytes"/>.</summary>
    public static double[] Measure(long bytes, bool withRelayHop)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        Task.Run(() => TransferAsync(bytes, withRelayHop)).GetAwaiter().GetResult();
        watch.Stop();
        process.Refresh();
        return new[] { bytes / 1048576.0 / watch.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalMilliseconds };
    }

    private static X509Certificate2 _certificate;

    private static X509Certificate2 Certificate()
    {
        if (_certificate == null)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
            using var selfSigned = request.CreateSelfSigned(DateTimeOffset.Now.AddDays(-1), DateTimeOffset.Now.AddDays(1));
            _certificate = X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pkcs12), null);
        }
        return _certificate;
    }

    private static async Task<Socket[]> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connecting = client.ConnectAsync(listener.LocalEndPoint);
        var server = await listener.AcceptAsync();
        await connecting;
        server.NoDelay = true;
        return new[] { server, client };
    }

    private static async Task TransferAsync(long bytes, bool withRelayHop)
    {
        var tlsPair = await ConnectedPairAsync();
        using var server = new SslStream(new NetworkStream(tlsPair[0], true));
        using var client = new SslStream(new NetworkStream(tlsPair[1], true), false, (sender, certificate, chain, errors) => true);
        var options = new SslServerAuthenticationOptions { ServerCertificate = Certificate() };
        if (OperatingSystem.IsLinux())
        {
            // The sandbox's API server prefers AES-128-GCM (Go's order); match it.
            options.CipherSuitesPolicy = new CipherSuitesPolicy(new[] { TlsCipherSuite.TLS_AES_128_GCM_SHA256 });
        }
        var handshake = server.AuthenticateAsServerAsync(options);
        await client.AuthenticateAsClientAsync("localhost");
        await handshake;

        var writing = Task.Run(async () =>
        {
            var chunk = new byte[128 * 1024];
            for (long sent = 0; sent < bytes; sent += chunk.Length)
            {
                await server.WriteAsync(chunk, 0, (int)Math.Min(chunk.Length, bytes - sent));
            }
            server.Close();
        });

        if (!withRelayHop)
        {
            await DrainAsync(client);
            await writing;
            return;
        }

        var relayPair = await ConnectedPairAsync();
        var relaying = Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await client.ReadAsync(buffer, 0, buffer.Length)) > 0)
            {
                var sent = 0;
                while (sent < read)
                {
                    sent += await relayPair[0].SendAsync(new ArraySegment<byte>(buffer, sent, read - sent), SocketFlags.None);
                }
            }
            relayPair[0].Shutdown(SocketShutdown.Send);
        });
        using (var local = new NetworkStream(relayPair[1], true))
        {
            await DrainAsync(local);
        }
        await relaying;
        await writing;
        relayPair[0].Dispose();
    }

    private static async Task DrainAsync(System.IO.Stream stream)
    {
        var buffer = new byte[80 * 1024];
        while (await stream.ReadAsync(buffer, 0, buffer.Length) > 0)
        {
        }
    }
}
