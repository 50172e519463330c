namespace RayPS.Dashboard;

/// <summary>Live, lock-free counters of one session: open and total connections, bytes from and to the cluster.</summary>
public sealed class TrafficCounters
{
    private int _active;
    private long _total;
    private long _bytesIn;
    private long _bytesOut;

    public int ActiveConnections => Volatile.Read(ref _active);
    public long TotalConnections => Interlocked.Read(ref _total);

    /// <summary>Bytes received from the cluster (the pod's answers).</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Bytes the local clients sent toward the cluster (their requests).</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _active);
        Interlocked.Increment(ref _total);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _active);

    internal void AddIn(int count) => Interlocked.Add(ref _bytesIn, count);

    internal void AddOut(int count) => Interlocked.Add(ref _bytesOut, count);
}
