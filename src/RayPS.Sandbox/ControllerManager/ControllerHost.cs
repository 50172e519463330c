using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.ControllerManager;

/// <summary>Feeds store changes to controllers and runs their workers; can wait until all are idle.</summary>
public sealed class ControllerHost : IAsyncDisposable
{
    private readonly List<Controller> _controllers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly StoreSubscription _feed;
    private int _dispatching;

    internal ControllerHost(ObjectStore store) => _feed = store.Subscribe(null);

    public IReadOnlyList<Controller> Controllers => _controllers;

    /// <summary>Adds and starts a controller (part 2 adds the KubeRay operator and kubelet this way).</summary>
    public void Add(Controller controller)
    {
        lock (_controllers)
        {
            _controllers.Add(controller);
        }
        controller.Resync();
        _tasks.Add(Task.Run(() => RunWorker(controller)));
    }

    internal void Start() => _tasks.Add(Task.Run(DispatchAsync));

    private async Task RunWorker(Controller controller)
    {
        try
        {
            await controller.RunAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task DispatchAsync()
    {
        try
        {
            while (await _feed.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _dispatching);
                try
                {
                    while (_feed.Reader.TryRead(out var change))
                    {
                        Controller[] snapshot;
                        lock (_controllers)
                        {
                            snapshot = [.. _controllers];
                        }
                        foreach (var controller in snapshot)
                        {
                            controller.Observe(change);
                        }
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _dispatching);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private bool Idle
    {
        get
        {
            lock (_controllers)
            {
                return Volatile.Read(ref _dispatching) == 0 && _feed.Reader.Count == 0 && _controllers.All(c => c.Idle);
            }
        }
    }

    /// <summary>Waits until no controller has work left (checked a few times in a row to let cascades settle).</summary>
    public async Task<bool> WaitForIdleAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var quiet = 0;
        while (DateTime.UtcNow < deadline)
        {
            quiet = Idle ? quiet + 1 : 0;
            if (quiet >= 3)
            {
                return true;
            }
            await Task.Delay(15, ct).ConfigureAwait(false);
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        lock (_controllers)
        {
            foreach (var controller in _controllers)
            {
                controller.Stopped();
            }
        }
        _feed.Dispose();
        try
        {
            await Task.WhenAll(_tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
