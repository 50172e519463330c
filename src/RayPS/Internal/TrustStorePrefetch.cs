using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;

namespace RayPS.Internal;

/// <summary>
/// Runs when Import-Module loads RayPS: on Linux it starts reading the machine's trust store on a thread-pool thread, so the
/// first cmdlet's TLS handshake does not wait for it.
/// </summary>
/// <remarks>
/// .NET on Linux reads and parses every certificate under /etc/ssl/certs (or SSL_CERT_FILE/SSL_CERT_DIR) the first time a
/// process builds a certificate chain, whatever the chain's trust mode: that was about a quarter of a session's first
/// Get-RayCluster (docs/benchmarks.md, 05-FirstCall). The read fills .NET's process-wide cache, which every later chain
/// build uses; nothing else is loaded (no KubernetesClient, no kubeconfig) and nothing waits for it. Windows and macOS ask
/// the operating system's own cached store, so they skip this. RAYPS_PREFETCH=0 turns it off (to measure without it).
/// </remarks>
public sealed class TrustStorePrefetch : IModuleAssemblyInitializer
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
    }
}
