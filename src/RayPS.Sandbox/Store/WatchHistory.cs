namespace RayPS.Sandbox.Store;

/// <summary>
/// One committed change as the history keeps it: the JSON of the new version (for DELETED, the object as deleted) and of
/// the version it replaced. The arrays are the committed versions' own, shared with the store and with neighbouring entries.
/// </summary>
internal sealed record HistoryEntry(string StorageKey, string Type, string Key, long ResourceVersion, byte[] Object, byte[]? Previous)
{
    /// <summary>What the entry keeps alive, counted generously (a shared array counts for every entry holding it).</summary>
    public long Size => Object.Length + (Previous?.Length ?? 0) + 128;

    /// <summary>The change with both versions decoded, as watchers receive it.</summary>
    public StoreEvent Decode() =>
        new(StorageKey, Type, new StoredObject(Key, Object).Object, Previous is null ? null : new StoredObject(Key, Previous).Object, ResourceVersion);
}

/// <summary>
/// The window of past changes watches resume from and paginated lists rebuild snapshots from, like the watch cache over a
/// compacted etcd: the newest changes up to a count and a total size; a resourceVersion older than the window is gone (410).
/// </summary>
internal sealed class WatchHistory
{
    private readonly LinkedList<HistoryEntry> _entries = new();
    private long _bytes;

    /// <summary>The most changes kept.</summary>
    public int CountLimit { get; set; } = 5000;

    /// <summary>The most bytes of JSON kept (at least the newest change is always kept).</summary>
    public long ByteLimit { get; set; } = 64L * 1024 * 1024;

    public int Count => _entries.Count;

    public long Bytes => _bytes;

    /// <summary>The resourceVersion of the oldest change kept (null when there is none).</summary>
    public long? Oldest => _entries.First?.Value.ResourceVersion;

    public void Add(HistoryEntry entry)
    {
        _entries.AddLast(entry);
        _bytes += entry.Size;
        while (_entries.Count > 1 && (_entries.Count > Math.Max(1, CountLimit) || _bytes > ByteLimit))
        {
            _bytes -= _entries.First!.Value.Size;
            _entries.RemoveFirst();
        }
    }

    /// <summary>Changes newer than <paramref name="resourceVersion"/>, oldest first.</summary>
    public IEnumerable<HistoryEntry> After(long resourceVersion) => NewestDownTo(resourceVersion).Reverse();

    /// <summary>Changes newer than <paramref name="resourceVersion"/>, newest first.</summary>
    public IEnumerable<HistoryEntry> NewestDownTo(long resourceVersion)
    {
        for (var node = _entries.Last; node is not null && node.Value.ResourceVersion > resourceVersion; node = node.Previous)
        {
            yield return node.Value;
        }
    }
}
