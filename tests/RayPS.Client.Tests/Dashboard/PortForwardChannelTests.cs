using System.Net.WebSockets;
using System.Text;
using RayPS.Client.Tests.Dashboard.Support;
using RayPS.Dashboard;

namespace RayPS.Client.Tests.Dashboard;

public sealed class PortForwardChannelTests : IDisposable
{
    private readonly WebSocket _server;
    private readonly WebSocket _client;
    private readonly PortForwardChannel _channel;

    public PortForwardChannelTests()
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        _server = WebSocket.CreateFromStream(a, new WebSocketCreationOptions { IsServer = true });
        _client = WebSocket.CreateFromStream(b, new WebSocketCreationOptions { IsServer = false });
        _channel = new PortForwardChannel(_client);
    }

    private Task ServerSendAsync(params byte[] message) => _server.SendAsync(message, WebSocketMessageType.Binary, true, CancellationToken.None);

    private Task SendPortHeadersAsync() => Task.WhenAll(ServerSendAsync(0, 0x49, 0x20), ServerSendAsync(1, 0x49, 0x20));

    [Fact]
    public async Task Skips_the_port_headers_and_returns_only_data_channel_bytes()
    {
        await SendPortHeadersAsync();
        await ServerSendAsync(0, (byte)'h', (byte)'i');
        var buffer = new byte[64];

        var data = await _channel.ReadAsync(buffer, CancellationToken.None);

        Assert.True(_channel.IsEstablished);
        Assert.Equal("hi", Encoding.ASCII.GetString(data.Span));
        Assert.Null(_channel.ErrorText);
    }

    [Fact]
    public async Task Collects_error_channel_text_and_ends_at_close()
    {
        await SendPortHeadersAsync();
        await ServerSendAsync([1, .. Encoding.UTF8.GetBytes("error forwarding port 8265: connection refused")]);
        await _server.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        var data = await _channel.ReadAsync(new byte[64], CancellationToken.None);

        Assert.True(data.IsEmpty);
        Assert.Equal("error forwarding port 8265: connection refused", _channel.ErrorText);
    }

    [Fact]
    public async Task Reassembles_a_message_split_into_frames()
    {
        await SendPortHeadersAsync();
        await _server.SendAsync(new byte[] { 0, (byte)'a' }, WebSocketMessageType.Binary, false, CancellationToken.None);
        await _server.SendAsync(new byte[] { (byte)'b', (byte)'c' }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var buffer = new byte[64];
        var text = new StringBuilder();

        while (text.Length < 3)
        {
            text.Append(Encoding.ASCII.GetString((await _channel.ReadAsync(buffer, CancellationToken.None)).Span));
        }

        Assert.Equal("abc", text.ToString()); // 'b' is data, not a channel byte
    }

    [Fact]
    public async Task Handles_a_port_header_split_across_messages()
    {
        await ServerSendAsync(0, 0x49);
        await ServerSendAsync(0, 0x20, (byte)'x');

        var data = await _channel.ReadAsync(new byte[64], CancellationToken.None);

        Assert.Equal("x", Encoding.ASCII.GetString(data.Span));
    }

    [Fact]
    public async Task Sends_data_as_one_message_prefixed_with_the_data_channel()
    {
        var frame = new byte[] { 0xff, (byte)'G', (byte)'E', (byte)'T' };

        await _channel.SendAsync(frame, CancellationToken.None);
        var received = new byte[16];
        var result = await _server.ReceiveAsync(received, CancellationToken.None);

        Assert.True(result.EndOfMessage);
        Assert.Equal(new byte[] { 0, (byte)'G', (byte)'E', (byte)'T' }, received[..result.Count]);
    }

    [Fact]
    public async Task WaitEstablished_returns_after_the_data_port_header()
    {
        await SendPortHeadersAsync();

        await _channel.WaitEstablishedAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(_channel.IsEstablished);
    }

    [Fact]
    public async Task WaitEstablished_fails_with_the_error_text_when_the_server_closes_first()
    {
        await ServerSendAsync(1, 0x49, 0x20);
        await ServerSendAsync([1, .. Encoding.UTF8.GetBytes("pod not running")]);
        await _server.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<WebSocketException>(() => _channel.WaitEstablishedAsync(CancellationToken.None));

        Assert.Contains("pod not running", ex.Message);
    }

    [Fact]
    public async Task StaysOpen_is_false_when_the_kubelet_reports_a_refused_port_after_the_headers()
    {
        await SendPortHeadersAsync();
        await _channel.WaitEstablishedAsync(CancellationToken.None);
        await ServerSendAsync([1, .. Encoding.UTF8.GetBytes("connection refused")]);

        Assert.False(await _channel.StaysOpenAsync(TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.Equal("connection refused", _channel.ErrorText);
    }

    [Fact]
    public async Task StaysOpen_is_true_when_nothing_happens_in_the_window()
    {
        await SendPortHeadersAsync();
        await _channel.WaitEstablishedAsync(CancellationToken.None);

        Assert.True(await _channel.StaysOpenAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None));
    }

    public void Dispose()
    {
        _channel.Dispose();
        _server.Dispose();
    }
}
