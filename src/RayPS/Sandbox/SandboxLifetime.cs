using RayPS.Kube;

namespace RayPS.Sandbox;

internal static class SandboxLifetime
{
    public static async Task StopAsync(RaySandbox sandbox)
    {
        SandboxRegistry.TryRemove(sandbox.Id, out _);
        if (sandbox.Running)
        {
            sandbox.Running = false;
            await sandbox.Server.StopAsync().ConfigureAwait(false);
            KubeConnection.ClearCache();
        }
    }
}
