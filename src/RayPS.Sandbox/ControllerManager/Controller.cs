using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.ControllerManager;

/// <summary>
/// A level-triggered controller: store changes are mapped to keys, keys are reconciled one at a
/// time on a background worker, failures are retried after a short delay.
/// </summary>
public abstract class Controller
{
    private readonly object _gate = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly SemaphoreSlim _signal = new(0);
    private int _busy;
    private int _delayed;

    protected Controller(ObjectStore store) => Store = store;

    protected ObjectStore Store { get; }

    /// <summary>The component name used as field manager and event source.</summary>
    public abstract string Name { get; }

    /// <summary>True when nothing is queued, running or waiting to be retried.</summary>
    internal bool Idle
    {
        get
        {
            lock (_gate)
            {
                return _order.Count == 0 && _busy == 0 && Volatile.Read(ref _delayed) == 0;
            }
        }
    }

    /// <summary>Maps a committed change to the keys to reconcile.</summary>
    internal abstract void Observe(StoreEvent change);

    /// <summary>Queues every key that needs a first look when the controller starts.</summary>
    internal virtual void Resync()
    {
    }

    /// <summary>Called once when the sandbox stops (release timers).</summary>
    internal virtual void Stopped()
    {
    }

    /// <summary>Brings the world in line for one key; throw to retry later.</summary>
    protected abstract void Reconcile(string key);

    protected void Enqueue(string key)
    {
        lock (_gate)
        {
            if (!_queued.Add(key))
            {
                return;
            }
            _order.Enqueue(key);
        }
        _signal.Release();
    }

    protected void EnqueueAfter(string key, TimeSpan delay)
    {
        Interlocked.Increment(ref _delayed);
        _ = Task.Delay(delay).ContinueWith(_ =>
        {
            Enqueue(key);
            Interlocked.Decrement(ref _delayed);
        }, TaskScheduler.Default);
    }

    internal async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await _signal.WaitAsync(ct).ConfigureAwait(false);
            string key;
            lock (_gate)
            {
                if (_order.Count == 0)
                {
                    continue;
                }
                key = _order.Dequeue();
                _queued.Remove(key);
                _busy++;
            }
            try
            {
                Reconcile(key);
            }
            catch (ApiException ex) when (ex.Code is 404)
            {
                // The object went away meanwhile; its deletion event will be handled on its own.
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                EnqueueAfter(key, TimeSpan.FromMilliseconds(100));
            }
            finally
            {
                lock (_gate)
                {
                    _busy--;
                }
            }
        }
    }

    /// <summary>"namespace/name" (or "name" for cluster-scoped objects).</summary>
    protected static string KeyOf(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : ns + "/" + name;

    protected static (string? Namespace, string Name) SplitKey(string key)
    {
        var slash = key.IndexOf('/');
        return slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
    }
}
