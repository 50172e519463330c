using System.Net;
using System.Net.Sockets;
using RayPS.Kube;

namespace RayPS.Client.Tests.Kube;

public sealed class ReadAheadStreamTests : IDisposable
{
    private readonly Socket _server;
    private readonly ReadAheadStream _stream;

    public ReadAheadStreamTests()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        _server = listener.Accept();
        _stream = new ReadAheadStream(client);
    }

    public void Dispose()
    {
        _stream.Dispose();
        _server.Dispose();
    }

    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7 + i / 251);
        }
        return bytes;
    }

    private async Task SendAndWaitUntilQueuedAsync(byte[] bytes)
    {
        _server.Send(bytes);
        var client = (Socket)typeof(ReadAheadStream).GetField("_socket", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(_stream)!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (client.Available < bytes.Length && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }
        Assert.Equal(bytes.Length, client.Available);
    }

    [Fact]
    public async Task Small_reads_after_the_first_come_from_the_buffer_without_waiting()
    {
        var sent = Pattern(48 * 1024);
        await SendAndWaitUntilQueuedAsync(sent);

        var received = new byte[sent.Length];
        var first = await _stream.ReadAsync(received.AsMemory(0, 16 * 1024));
        var second = _stream.ReadAsync(received.AsMemory(16 * 1024, 16 * 1024));
        Assert.True(second.IsCompletedSuccessfully, "the second record should be served from the read-ahead buffer");
        var third = _stream.ReadAsync(received.AsMemory(32 * 1024, 16 * 1024));
        Assert.True(third.IsCompletedSuccessfully);

        Assert.Equal(16 * 1024, first);
        Assert.Equal(16 * 1024, await second);
        Assert.Equal(16 * 1024, await third);
        Assert.Equal(sent, received);
    }

    [Fact]
    public async Task Reads_smaller_than_what_is_buffered_return_it_in_order_then_the_end()
    {
        var sent = Pattern(10_000);
        await SendAndWaitUntilQueuedAsync(sent);
        _server.Shutdown(SocketShutdown.Send);

        var received = new List<byte>();
        var chunk = new byte[3000];
        int read;
        while ((read = await _stream.ReadAsync(chunk)) > 0)
        {
            Assert.InRange(read, 1, 3000);
            received.AddRange(chunk.AsSpan(0, read).ToArray());
        }
        Assert.Equal(sent, received.ToArray());
        Assert.Equal(0, _stream.Read(chunk, 0, chunk.Length));
    }

    [Fact]
    public async Task Small_and_large_reads_mixed_keep_every_byte_in_order()
    {
        var sent = Pattern(3 * ReadAheadStream.BufferSize + 12345);
        var sending = Task.Run(() =>
        {
            _server.Send(sent);
            _server.Shutdown(SocketShutdown.Send);
        });

        var received = new byte[sent.Length];
        var total = 0;
        var large = false;
        while (true)
        {
            var size = large ? ReadAheadStream.BufferSize + 100 : 1000;
            var read = await _stream.ReadAsync(received.AsMemory(total, Math.Min(size, received.Length - total)));
            if (read == 0 || total + read == received.Length)
            {
                total += read;
                break;
            }
            total += read;
            large = !large;
        }
        await sending;
        Assert.Equal(sent.Length, total);
        Assert.Equal(sent, received);
    }

    [Fact]
    public async Task Writes_reach_the_peer_whole()
    {
        var sent = Pattern(200 * 1024);
        await _stream.WriteAsync(sent);
        _stream.Write(sent, 0, 10);
        await _stream.FlushAsync();

        var received = new byte[sent.Length + 10];
        var total = 0;
        while (total < received.Length)
        {
            total += _server.Receive(received.AsSpan(total));
        }
        Assert.Equal(sent, received[..sent.Length]);
        Assert.Equal(sent[..10], received[sent.Length..]);
    }
}
