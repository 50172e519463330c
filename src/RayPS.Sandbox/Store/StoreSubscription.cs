using System.Threading.Channels;

namespace RayPS.Sandbox.Store;

/// <summary>
/// A live feed of committed changes (optionally for one resource). Events are queued without
/// blocking writers; disposing the subscription detaches it from the store.
/// </summary>
internal sealed class StoreSubscription : IDisposable
{
    private readonly Channel<StoreEvent> _channel = Channel.CreateUnbounded<StoreEvent>();
    private readonly Action<StoreSubscription> _detach;

    public StoreSubscription(string? storageKey, Action<StoreSubscription> detach)
    {
        StorageKey = storageKey;
        _detach = detach;
    }

    /// <summary>Null = every resource.</summary>
    public string? StorageKey { get; }

    public ChannelReader<StoreEvent> Reader => _channel.Reader;

    internal void Publish(StoreEvent e)
    {
        if (StorageKey is null || StorageKey == e.StorageKey)
        {
            _channel.Writer.TryWrite(e);
        }
    }

    public void Dispose()
    {
        _detach(this);
        _channel.Writer.TryComplete();
    }
}
