using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Net;
using RayPS.Sandbox.Net.Spdy;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Tests.Unit;

/// <summary>SPDY/3.1 framing and header-block compression as Go's spdystream (kubectl, kubelet) speaks them.</summary>
public sealed class SpdyFramingTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    private static List<KeyValuePair<string, string>> Headers(params (string Name, string Value)[] pairs) =>
        pairs.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)).ToList();

    [Fact]
    public void TheDictionaryIsTheOneSpdyPeersAnnounce()
    {
        // Go's zlib writer announces the dictionary by its Adler-32 in the stream header: 78 f9 e3 c6 a7 c2 on the wire.
        Assert.Equal(1423, SpdyHeaderBlock.Dictionary.Length);
        Assert.Equal(0xE3C6A7C2u, SpdyHeaderBlock.DictionaryId);
        Assert.EndsWith("utf-,*,enq=0.", Encoding.ASCII.GetString(SpdyHeaderBlock.Dictionary));
    }

    [Fact]
    public void DecompressesBlocksThatReferToTheDictionaryAndToEarlierBlocks()
    {
        // Three sync-flushed blocks of one stream from zlib (level 9) with the SPDY/3 dictionary: the first one is 41 bytes
        // for 109 of headers only because it copies "content-type", "text/plain", "charset=utf-8", ... out of the dictionary.
        using var decompressor = new SpdyHeaderDecompressor();
        var first = decompressor.Decompress(Hex("78f9e3c6a7c202253a2c858924c215d60a2806622f6e79905d819181d8b34b938045510e000000ffff"));
        Assert.Equal(Headers(("content-type", "text/plain; charset=utf-8"), ("accept-encoding", "gzip,deflate"), ("user-agent", "kubectl")), first);
        var second = decompressor.Decompress(Hex("825a062cec8bc0f9cac2c80c54b471164112472628d3301a80937d49516a622ed431aca9a07807000000ffff"));
        Assert.Equal(Headers(("port", "8265"), ("requestid", "0"), ("streamtype", "error")), second);
        var third = decompressor.Decompress(Hex("225333a8584c04000000ffff"));
        Assert.Equal(Headers(("port", "8265"), ("requestid", "0"), ("streamtype", "data")), third);
    }

    [Fact]
    public void RejectsAStreamThatNeedsAnotherDictionary()
    {
        using var decompressor = new SpdyHeaderDecompressor();
        var ex = Assert.Throws<InvalidDataException>(() => decompressor.Decompress(Hex("78f9000000010300")));
        Assert.Contains("dictionary", ex.Message);
    }

    [Fact]
    public void ATruncatedBlockIsInvalidData()
    {
        using var decompressor = new SpdyHeaderDecompressor();
        var whole = Hex("78f9e3c6a7c202253a2c858924c215d60a2806622f6e79905d819181d8b34b938045510e000000ffff");
        Assert.Throws<InvalidDataException>(() => decompressor.Decompress(whole.AsMemory(0, 20)));
    }

    [Fact]
    public void CompressedBlocksRoundTripThroughOneContext()
    {
        using var compressor = new SpdyHeaderCompressor();
        using var decompressor = new SpdyHeaderDecompressor();
        var blocks = new[]
        {
            Headers(),
            Headers(("streamType", "error"), ("port", "8265"), ("requestID", "0")),
            Headers(("streamtype", "data"), ("port", "8265"), ("requestid", "0")),
            Headers(("x-long", new string('v', 70_000))),
        };
        foreach (var block in blocks)
        {
            var compressed = compressor.Compress(block);
            var expected = block.Select(h => new KeyValuePair<string, string>(h.Key.ToLowerInvariant(), h.Value)).ToList();
            Assert.Equal(expected, decompressor.Decompress(compressed));
        }
    }

    [Fact]
    public void TheFirstCompressedBlockAnnouncesTheDictionaryAndEveryBlockEndsWithASyncFlush()
    {
        using var compressor = new SpdyHeaderCompressor();
        var first = compressor.Compress(Headers(("a", "b")));
        Assert.Equal(0x78, first[0]);
        Assert.Equal(0, (first[0] << 8 | first[1]) % 31);
        Assert.NotEqual(0, first[1] & 0x20);
        Assert.Equal(SpdyHeaderBlock.DictionaryId, BinaryPrimitives.ReadUInt32BigEndian(first.AsSpan(2)));
        var second = compressor.Compress(Headers(("c", "d")));
        Assert.Equal(Hex("0000ffff"), first[^4..]);
        Assert.Equal(Hex("0000ffff"), second[^4..]);
        // Without the zlib header the raw deflate data inflates on its own (the dictionary is never referred to).
        using var raw = new MemoryStream([.. first[6..], .. second]);
        using var inflater = new DeflateStream(raw, CompressionMode.Decompress);
        Assert.Equal(Headers(("a", "b")), SpdyHeaderBlock.Read(inflater));
        Assert.Equal(Headers(("c", "d")), SpdyHeaderBlock.Read(inflater));
    }

    [Fact]
    public void FramesHaveTheSpdy3Layout()
    {
        Assert.Equal(Hex("8003000600000004" + "00000001"), SpdyFrames.Ping(1));
        Assert.Equal(Hex("8003000300000008" + "00000005" + "00000005"), SpdyFrames.RstStream(5, SpdyRstStatus.Cancel));
        Assert.Equal(Hex("0000000301000002" + "6869"), SpdyFrames.Data(3, SpdyFrame.FlagFin, "hi"u8));
        Assert.Equal(Hex("8003000200000006" + "00000007" + "abcd"), SpdyFrames.SynReply(7, 0, Hex("abcd")));
        Assert.Equal(Hex("800300010200000c" + "00000009" + "00000000" + "6000" + "abcd"), SpdyFrames.SynStream(9, 0, 3, SpdyFrame.FlagUnidirectional, Hex("abcd")));
        Assert.Equal(Hex("8003000700000008" + "00000003" + "00000000"), SpdyFrames.GoAway(3, 0));
        Assert.Equal(Hex("8003000900000008" + "00000001" + "00010000"), SpdyFrames.WindowUpdate(1, 65536));
    }

    [Fact]
    public async Task TheReaderReassemblesFramesFromAnyReadBoundaries()
    {
        var wire = new List<byte>();
        wire.AddRange(SpdyFrames.SynStream(1, 0, 0, 0, Hex("0102")));
        wire.AddRange(SpdyFrames.Data(1, 0, new byte[70_000]));
        wire.AddRange(SpdyFrames.Data(1, SpdyFrame.FlagFin, []));
        wire.AddRange(SpdyFrames.Ping(3));
        var reader = new SpdyFrameReader(new TrickleStream([.. wire], chunk: 3));

        var syn = await reader.ReadAsync(CancellationToken.None);
        Assert.True(syn!.Value.IsControl);
        Assert.Equal(SpdyFrameType.SynStream, syn.Value.Type);
        Assert.Equal(1u, syn.Value.StreamId);
        Assert.Equal(Hex("0102"), SpdyFrames.SynStreamHeaderBlock(syn.Value).ToArray());
        var data = await reader.ReadAsync(CancellationToken.None);
        Assert.False(data!.Value.IsControl);
        Assert.Equal(70_000, data.Value.Payload.Length);
        Assert.False(data.Value.Fin);
        var fin = await reader.ReadAsync(CancellationToken.None);
        Assert.True(fin!.Value.Fin);
        Assert.Empty(fin.Value.Payload);
        var ping = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal(3u, SpdyFrames.Word(ping!.Value, 0));
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task TheReaderRejectsTruncatedFramesAndOtherVersions()
    {
        var truncated = SpdyFrames.Ping(1)[..10];
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await new SpdyFrameReader(new MemoryStream(truncated)).ReadAsync(CancellationToken.None));
        var version2 = Hex("8002000600000004" + "00000001");
        var ex = await Assert.ThrowsAsync<InvalidDataException>(async () => await new SpdyFrameReader(new MemoryStream(version2)).ReadAsync(CancellationToken.None));
        Assert.Contains("version 2", ex.Message);
    }

    /// <summary>Returns at most <paramref name="chunk"/> bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}

/// <summary>The kubelet side of portforward.k8s.io over an in-memory connection, driven by a minimal SPDY client.</summary>
public sealed class SpdyPortForwardSessionTests
{
    private const string PodUid = "0b9f6a0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";

    /// <summary>A pod whose port 7000 echoes what it reads, upper-cased, and closes when the client does.</summary>
    private sealed class EchoPod : IPodNetwork
    {
        public ValueTask<Stream?> ConnectAsync(string @namespace, string pod, int port, CancellationToken cancellationToken)
        {
            if (port != 7000)
            {
                return ValueTask.FromResult<Stream?>(null);
            }
            var (client, server) = DuplexPipe.Create();
            _ = Task.Run(async () =>
            {
                await using (server)
                {
                    var buffer = new byte[4096];
                    int n;
                    while ((n = await server.ReadAsync(buffer)) > 0)
                    {
                        await server.WriteAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(buffer, 0, n).ToUpperInvariant()));
                    }
                }
            });
            return ValueTask.FromResult<Stream?>(client);
        }
    }

    /// <summary>The client end: writes frames, and reads them back decoded (header blocks through one context).</summary>
    private sealed class Client(Stream stream) : IDisposable
    {
        private readonly SpdyHeaderCompressor _compressor = new();
        private readonly SpdyHeaderDecompressor _decompressor = new();
        private readonly SpdyFrameReader _reader = new(stream);

        public Task SendAsync(byte[] frame) => stream.WriteAsync(frame).AsTask();

        public Task OpenAsync(uint id, string type, string port, string? requestId = "0")
        {
            var headers = new List<KeyValuePair<string, string>> { new("streamType", type), new("port", port) };
            if (requestId is not null)
            {
                headers.Add(new("requestID", requestId));
            }
            return SendAsync(SpdyFrames.SynStream(id, 0, 0, 0, _compressor.Compress(headers).AsSpan()));
        }

        public async Task<SpdyFrame> ReadAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var frame = await _reader.ReadAsync(timeout.Token) ?? throw new EndOfStreamException("the server closed the connection");
            if (frame.IsControl && frame.Type == SpdyFrameType.SynReply)
            {
                Assert.Empty(_decompressor.Decompress(SpdyFrames.ReplyHeaderBlock(frame)));
            }
            return frame;
        }

        public void Dispose()
        {
            _compressor.Dispose();
            _decompressor.Dispose();
        }
    }

    /// <summary>Runs a conversation against a fresh session, then closes the client end and waits for the session to end.</summary>
    private static async Task ConverseAsync(Func<Client, Task> conversation)
    {
        var (clientEnd, serverEnd) = DuplexPipe.Create();
        var session = new SpdyPortForwardSession(serverEnd, new EchoPod(), "default", "echo", PodUid);
        var run = Task.Run(async () =>
        {
            using (session)
            {
                await session.RunAsync(CancellationToken.None);
            }
            await serverEnd.DisposeAsync();
        });
        using (var client = new Client(clientEnd))
        {
            await conversation(client);
        }
        await clientEnd.DisposeAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AStreamPairCarriesBytesBothWaysAndBothStreamsCloseAfterTheClientFinishes()
    {
        await ConverseAsync(async client =>
        {
            await client.OpenAsync(1, "error", "7000");
            Assert.Equal((SpdyFrameType.SynReply, 1u), Control(await client.ReadAsync()));
            await client.OpenAsync(3, "data", "7000");
            Assert.Equal((SpdyFrameType.SynReply, 3u), Control(await client.ReadAsync()));

            await client.SendAsync(SpdyFrames.Data(3, 0, "hello pod"u8));
            var echoed = await client.ReadAsync();
            Assert.Equal((3u, "HELLO POD"), (echoed.StreamId, Encoding.ASCII.GetString(echoed.Payload)));

            await client.SendAsync(SpdyFrames.Ping(5));
            Assert.Equal((SpdyFrameType.Ping, 5u), Control(await client.ReadAsync()));

            await client.SendAsync(SpdyFrames.Data(3, SpdyFrame.FlagFin, []));
            var closeError = await client.ReadAsync();
            var closeData = await client.ReadAsync();
            Assert.Equal((1u, true, 0), (closeError.StreamId, closeError.Fin, closeError.Payload.Length));
            Assert.Equal((3u, true, 0), (closeData.StreamId, closeData.Fin, closeData.Payload.Length));
        });
    }

    [Fact]
    public async Task APortWithNothingListeningIsReportedOnTheErrorStreamLikeContainerd()
    {
        await ConverseAsync(async client =>
        {
            await client.OpenAsync(1, "error", "8265", requestId: null);
            await client.ReadAsync();
            await client.OpenAsync(3, "data", "8265", requestId: null);
            await client.ReadAsync();

            var message = await client.ReadAsync();
            Assert.Equal(1u, message.StreamId);
            var text = Encoding.UTF8.GetString(message.Payload);
            Assert.Equal(SpdyPortForwardSession.ConnectionRefusedMessage(8265, PodUid), text);
            Assert.Matches(@"^error forwarding port 8265 to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace ""/var/run/netns/cni-[0-9a-f-]{36}"": failed to connect to localhost:8265 inside namespace ""[0-9a-f]{64}"", IPv4: dial tcp4 127.0.0.1:8265: connect: connection refused IPv6 dial tcp6 \[::1\]:8265: connect: connection refused $", text);
            Assert.True((await client.ReadAsync()) is { StreamId: 1, Fin: true });
            Assert.True((await client.ReadAsync()) is { StreamId: 3, Fin: true });
        });
    }

    [Fact]
    public async Task StreamsWithoutAValidPortOrTypeAreResetAndBadIdsAreAProtocolError()
    {
        await ConverseAsync(async client =>
        {
            await client.OpenAsync(1, "data", "0");
            Assert.Equal((1u, (uint)SpdyRstStatus.Cancel), Reset(await client.ReadAsync()));
            await client.OpenAsync(3, "stdin", "7000");
            Assert.Equal((3u, (uint)SpdyRstStatus.Cancel), Reset(await client.ReadAsync()));
            // Client streams have odd, increasing ids.
            await client.OpenAsync(3, "error", "7000");
            Assert.Equal((3u, (uint)SpdyRstStatus.ProtocolError), Reset(await client.ReadAsync()));
            await client.OpenAsync(6, "error", "7000");
            Assert.Equal((6u, (uint)SpdyRstStatus.ProtocolError), Reset(await client.ReadAsync()));
            // The compression context survived the refused streams.
            await client.OpenAsync(7, "error", "7000");
            Assert.Equal((SpdyFrameType.SynReply, 7u), Control(await client.ReadAsync()));
        });
    }

    [Fact]
    public async Task AResetDataStreamEndsItsForwardWithoutAnotherFrameOnIt()
    {
        await ConverseAsync(async client =>
        {
            await OpenStreamPairAsync(client);
            await client.SendAsync(SpdyFrames.RstStream(3, SpdyRstStatus.Cancel));
            Assert.True((await client.ReadAsync()) is { StreamId: 1, Fin: true, IsControl: false });
            await client.SendAsync(SpdyFrames.Ping(7));
            Assert.Equal((SpdyFrameType.Ping, 7u), Control(await client.ReadAsync()));
        });
    }

    [Fact]
    public async Task TheSessionEndsWhenTheClientGoesAwayAndClosesPodConnections()
    {
        await ConverseAsync(async client =>
        {
            await OpenStreamPairAsync(client);
            await client.SendAsync(SpdyFrames.Data(3, 0, "x"u8));
            Assert.Equal("X", Encoding.ASCII.GetString((await client.ReadAsync()).Payload));
            await client.SendAsync(SpdyFrames.GoAway(0, 0));
        });
    }

    /// <summary>Opens the error (1) and data (3) streams of a forward to port 7000 and takes both replies.</summary>
    private static async Task OpenStreamPairAsync(Client client)
    {
        await client.OpenAsync(1, "error", "7000");
        await client.ReadAsync();
        await client.OpenAsync(3, "data", "7000");
        await client.ReadAsync();
    }

    private static (SpdyFrameType Type, uint StreamId) Control(SpdyFrame frame)
    {
        Assert.True(frame.IsControl, "expected a control frame");
        return (frame.Type, frame.Type == SpdyFrameType.Ping ? SpdyFrames.Word(frame, 0) : frame.StreamId);
    }

    private static (uint StreamId, uint Status) Reset(SpdyFrame frame)
    {
        Assert.Equal(SpdyFrameType.RstStream, frame.Type);
        return (frame.StreamId, SpdyFrames.Word(frame, 1));
    }
}

/// <summary>The tunnel's negotiation through the sandbox's API server.</summary>
public sealed class SpdyTunnelNegotiationTests
{
    [Fact]
    public async Task ATunnelForAnotherSpdyProtocolGetsTheKubeletsRefusal()
    {
        var sandbox = await Sandboxes.StartAsync();
        try
        {
            using var client = new SandboxClient(sandbox);
            sandbox.Store.Create(Gvr.Pods, Objects.Pod("web"));
            PodBinding.Bind(sandbox.Store, "default", "web", "node-1");
            using var request = client.Request(HttpMethod.Get, "/api/v1/namespaces/default/pods/web/portforward", contentType: null);
            request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
            request.Headers.TryAddWithoutValidation("Upgrade", "websocket");
            request.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
            request.Headers.TryAddWithoutValidation("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
            request.Headers.TryAddWithoutValidation("Sec-WebSocket-Protocol", "SPDY/3.1+v4.channel.k8s.io");
            using var response = await client.Http.SendAsync(request);
            Assert.Equal(403, (int)response.StatusCode);
            Assert.Equal(
                "unable to upgrade: unable to negotiate protocol: client supports [v4.channel.k8s.io], server supports [portforward.k8s.io]\n",
                await response.Content.ReadAsStringAsync());
        }
        finally
        {
            await sandbox.StopAsync();
        }
    }
}
