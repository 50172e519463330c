using System.Management.Automation;
using RayPS.Kube;

namespace RayPS.Internal;

/// <summary>
/// Runs when Import-Module loads RayPS: on Linux it gives the first cmdlet's TLS handshake a head start on a thread-pool
/// thread while PowerShell is still importing the module (<see cref="TlsWarmUp"/>: the trust store, the TLS stack, the
/// server certificate check; no network, no kubeconfig, nothing else loaded, and nothing waits for it). Windows and macOS
/// ask the operating system's own cached store, so they skip it. RAYPS_PREFETCH=0 turns it off (to measure without it).
/// </summary>
public sealed class TlsPrefetch : IModuleAssemblyInitializer
{
    public void OnImport()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("RAYPS_PREFETCH") == "0")
        {
            return;
        }
        ThreadPool.UnsafeQueueUserWorkItem(static _ => TlsWarmUp.Run(), null);
    }
}
