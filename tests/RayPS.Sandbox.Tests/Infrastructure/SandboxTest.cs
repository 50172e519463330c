namespace RayPS.Sandbox.Tests.Infrastructure;

/// <summary>
/// A test class whose every test gets its own sandbox (xunit makes a new instance per test) and a client for it.
/// Derived classes choose the CRD and controllers, and seed objects in <see cref="SeedAsync"/>.
/// </summary>
public abstract class SandboxTest(bool crd = false, SandboxControllers controllers = SandboxControllers.None) : IAsyncLifetime
{
    protected KubeSandbox Sandbox { get; private set; } = null!;

    protected SandboxClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sandbox = await Sandboxes.StartAsync(crd, controllers);
        Client = new SandboxClient(Sandbox);
        await SeedAsync();
    }

    /// <summary>Runs once the sandbox is up, before the test.</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Sandbox.StopAsync();
    }
}
