using System.Text;
using RayPS.Sandbox.Http;

namespace RayPS.Sandbox.Tests.Net;

/// <summary>The in-memory connection behind pod traffic: back-pressure, close and drop, as over TCP.</summary>
public sealed class DuplexPipeTests
{
    [Fact]
    public async Task A_writer_waits_while_the_reader_is_a_full_buffer_behind_and_every_byte_arrives_in_order()
    {
        var pipe = new DuplexPipe();
        var data = new byte[DuplexPipe.Capacity + 100_000];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7);
        }

        var writing = pipe.Server.WriteAsync(data).AsTask();
        await Task.Delay(200);
        Assert.False(writing.IsCompleted);

        var received = new MemoryStream();
        var buffer = new byte[10_000];
        while (received.Length < data.Length)
        {
            received.Write(buffer, 0, await pipe.Client.ReadAsync(buffer));
        }
        await writing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(data, received.ToArray());
    }

    [Fact]
    public async Task Closing_an_end_lets_the_peer_read_the_rest_then_the_end_and_its_writes_fail_after_one()
    {
        var (client, server) = DuplexPipe.Create();
        await server.WriteAsync("answer"u8.ToArray());
        await server.DisposeAsync();

        Assert.Equal("answer", await ReadToEndAsync(client));
        await client.WriteAsync("late"u8.ToArray());
        await Assert.ThrowsAsync<IOException>(() => client.WriteAsync("later"u8.ToArray()).AsTask());
    }

    [Fact]
    public async Task Abort_drops_the_connection_after_what_was_sent_and_fails_writes()
    {
        var pipe = new DuplexPipe();
        await pipe.Server.WriteAsync("partial"u8.ToArray());
        var pendingRead = pipe.Server.ReadAsync(new byte[16]).AsTask();

        pipe.Abort();

        var buffer = new byte[16];
        var read = await pipe.Client.ReadAsync(buffer);
        Assert.Equal("partial", Encoding.ASCII.GetString(buffer, 0, read));
        await Assert.ThrowsAsync<IOException>(() => pipe.Client.ReadAsync(buffer).AsTask());
        await Assert.ThrowsAsync<IOException>(() => pendingRead.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<IOException>(() => pipe.Client.WriteAsync("more"u8.ToArray()).AsTask());
    }

    private static async Task<string> ReadToEndAsync(Stream stream)
    {
        var text = new StringBuilder();
        var buffer = new byte[4];
        int read;
        while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10))) > 0)
        {
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        return text.ToString();
    }
}
