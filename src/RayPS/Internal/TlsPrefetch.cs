using System.Management.Automation;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace RayPS.Internal;

/// <summary>
/// Runs when Import-Module loads RayPS: on Linux it gives the first cmdlet's TLS handshake a head start on a thread-pool
/// thread, while PowerShell is still importing the module: it reads the machine's trust store and sets up the TLS stack.
/// </summary>
/// <remarks>
/// .NET on Linux reads and parses every certificate under /etc/ssl/certs (or SSL_CERT_FILE/SSL_CERT_DIR) the first time a
/// process builds a certificate chain, whatever the chain's trust mode: that was about a quarter of a session's first
/// Get-RayCluster (docs/benchmarks.md, 05-FirstCall). The read fills .NET's process-wide cache, which every later chain
/// build uses. Then a handshake is started against a stream that answers nothing: it initialises OpenSSL's TLS context and
/// compiles SslStream's handshake code, which the first real handshake otherwise pays for; it sends nothing anywhere and
/// fails at once. Nothing else is loaded (no KubernetesClient, no kubeconfig) and nothing waits for it. Windows and macOS ask
/// the operating system's own cached store, so they skip this. RAYPS_PREFETCH=0 turns it off (to measure without it).
/// </remarks>
public sealed class TlsPrefetch : IModuleAssemblyInitializer
{
    public void OnImport()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("RAYPS_PREFETCH") == "0")
        {
            return;
        }
        ThreadPool.UnsafeQueueUserWorkItem(static _ => Prefetch(), null);
    }

    private static void Prefetch()
    {
        try
        {
            using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
            store.Open(OpenFlags.ReadOnly);
            _ = store.Certificates.Count;
        }
        catch (Exception)
        {
            // Only a head start: the handshake reads the store itself (and reports any failure) when it needs it.
        }
        try
        {
            using var tls = new SslStream(new SilentStream());
            tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "rayps-prefetch.invalid" }, CancellationToken.None)
                .GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // Expected: the stream ends before any answer.
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
