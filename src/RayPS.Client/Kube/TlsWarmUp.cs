using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace RayPS.Kube;

/// <summary>
/// Gives a session's first TLS connection a head start, with no network and no kubeconfig: it reads the machine's trust
/// store, sets up the TLS stack and runs the server certificate check once on a built-in certificate. Meant for a
/// thread-pool thread while the module is still being imported (RayPS's TlsPrefetch); nothing waits for it.
/// </summary>
/// <remarks>
/// .NET on Linux reads and parses every certificate under /etc/ssl/certs (or SSL_CERT_FILE/SSL_CERT_DIR) the first time a
/// process builds a certificate chain, whatever the chain's trust mode: that was about a quarter of a session's first
/// Get-RayCluster (docs/benchmarks.md, 05-FirstCall). The read fills .NET's process-wide cache, which every later chain
/// build uses. A handshake against a stream that answers nothing initialises OpenSSL's TLS context and compiles SslStream's
/// handshake code; it sends nothing anywhere and fails at once. The certificate check
/// (<see cref="ServerCertificateCheck.WarmUp"/>) compiles the chain building every handshake runs twice (.NET's own
/// check, then ours). Windows and macOS ask the operating system's own cached store (RayPS's TlsPrefetch runs this on
/// Linux only).
/// </remarks>
public static class TlsWarmUp
{
    public static void Run()
    {
        // Each step is only a head start: whatever fails here, the real handshake does again and reports.
        Attempt(static () =>
        {
            using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
            store.Open(OpenFlags.ReadOnly);
            _ = store.Certificates.Count;
        });
        // Fails at once, as expected: the stream ends before any answer.
        Attempt(static () =>
        {
            using var tls = new SslStream(new SilentStream());
            tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = ServerCertificateCheck.WarmUpHost }, CancellationToken.None)
                .GetAwaiter().GetResult();
        });
        Attempt(static () => ServerCertificateCheck.WarmUp());
    }

    private static void Attempt(Action step)
    {
        try
        {
            step();
        }
        catch (Exception)
        {
            // See Run.
        }
    }

    /// <summary>A stream that swallows what is written and is at its end when read.</summary>
    private sealed class SilentStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => 0;
        public override void Write(byte[] buffer, int offset, int count) { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
