using RayPS.Sandbox.Http;

namespace RayPS.Sandbox.Tests.Net;

/// <summary>The layer under the API server's TLS that sends the records of one flush at once.</summary>
public sealed class SendCoalescingStreamTests
{
    [Fact]
    public async Task Writes_pass_through_until_coalescing_starts_then_go_out_together_on_flush()
    {
        var socket = new RecordingStream();
        var stream = new SendCoalescingStream(socket);

        await stream.WriteAsync(new byte[] { 1 });
        await stream.WriteAsync(new byte[] { 2 });
        Assert.Equal(2, socket.Writes.Count);

        stream.StartCoalescing();
        await stream.WriteAsync(new byte[] { 3, 4 });
        await stream.WriteAsync(new byte[] { 5 });
        Assert.Equal(2, socket.Writes.Count);
        await stream.FlushAsync();

        Assert.Equal(3, socket.Writes.Count);
        Assert.Equal(new byte[] { 3, 4, 5 }, socket.Writes[2]);
    }

    [Fact]
    public async Task A_full_buffer_is_sent_before_more_is_kept_and_a_larger_write_goes_straight_through()
    {
        var socket = new RecordingStream();
        var stream = new SendCoalescingStream(socket);
        stream.StartCoalescing();

        await stream.WriteAsync(new byte[200 * 1024]);
        await stream.WriteAsync(new byte[100 * 1024]);
        Assert.Equal(200 * 1024, Assert.Single(socket.Writes).Length);
        await stream.WriteAsync(new byte[300 * 1024]);
        await stream.FlushAsync();

        Assert.Equal(new[] { 200 * 1024, 100 * 1024, 300 * 1024 }, socket.Writes.Select(w => w.Length));
    }

    private sealed class RecordingStream : MemoryStream
    {
        public List<byte[]> Writes { get; } = [];

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.ToArray());
            return ValueTask.CompletedTask;
        }
    }
}
