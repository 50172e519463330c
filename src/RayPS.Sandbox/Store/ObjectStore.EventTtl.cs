namespace RayPS.Sandbox.Store;

public sealed partial class ObjectStore
{
    private const string EventsStorageKey = "/events";

    // Event writes in commit order; with one TTL for all, their deadlines are in order too.
    private readonly Queue<(DateTime Deadline, string Key, long ResourceVersion)> _eventDeadlines = new();
    private bool _expiring;

    /// <summary>
    /// How long a core/v1 Event lives after its last write, like kube-apiserver's --event-ttl (default 1 h): etcd's lease
    /// then deletes it and watchers see DELETED. Expired events are removed at the next write to the store or read of events.
    /// </summary>
    public TimeSpan EventTtl { get; set; } = TimeSpan.FromHours(1);

    private void TrackEventLifetime(string eventType, string key, long resourceVersion)
    {
        if (eventType != WatchEvent.Deleted)
        {
            _eventDeadlines.Enqueue((DateTime.UtcNow + EventTtl, key, resourceVersion));
        }
    }

    /// <summary>Deletes the events whose last write is older than <see cref="EventTtl"/>.</summary>
    private void ExpireEventsLocked()
    {
        if (_expiring || _eventDeadlines.Count == 0 || _eventDeadlines.Peek().Deadline > DateTime.UtcNow)
        {
            return;
        }
        var type = Registry.Find("", "v1", "events");
        if (type is null)
        {
            return;
        }
        _expiring = true;
        try
        {
            var now = DateTime.UtcNow;
            while (_eventDeadlines.TryPeek(out var due) && due.Deadline <= now)
            {
                _eventDeadlines.Dequeue();
                var slash = due.Key.IndexOf('/');
                var stored = FindStored(type, due.Key[..slash], due.Key[(slash + 1)..]);
                // A later write renewed the lease; its own deadline is further back in the queue.
                if (stored is not null && ObjectMeta.ResourceVersion(stored.Object) == Rv(due.ResourceVersion))
                {
                    Commit(type, due.Key[..slash], stored.Object, WatchEvent.Deleted);
                }
            }
        }
        finally
        {
            _expiring = false;
        }
    }
}
