using System.Buffers.Binary;

namespace RayPS.Sandbox.Net.Spdy;

/// <summary>SPDY/3 control frame types (draft 3.1, section 2.6).</summary>
internal enum SpdyFrameType : ushort
{
    SynStream = 1,
    SynReply = 2,
    RstStream = 3,
    Settings = 4,
    Ping = 6,
    GoAway = 7,
    Headers = 8,
    WindowUpdate = 9,
}

/// <summary>RST_STREAM status codes.</summary>
internal enum SpdyRstStatus : uint
{
    ProtocolError = 1,
    InvalidStream = 2,
    RefusedStream = 3,
    UnsupportedVersion = 4,
    Cancel = 5,
    InternalError = 6,
    FlowControlError = 7,
}

/// <summary>
/// One SPDY frame as read from the wire. Control frames carry <see cref="Type"/>; data frames carry
/// <see cref="StreamId"/> (for control frames it is parsed from the payload where the type has one).
/// </summary>
internal readonly record struct SpdyFrame(bool IsControl, SpdyFrameType Type, byte Flags, uint StreamId, byte[] Payload)
{
    public const byte FlagFin = 0x01;
    public const byte FlagUnidirectional = 0x02;

    public bool Fin => (Flags & FlagFin) != 0;
}

/// <summary>Encodes frames (each as one buffer, so a tunnel sends one message per frame) and parses control payloads.</summary>
internal static class SpdyFrames
{
    public const ushort Version = 3;
    public const int HeaderLength = 8;
    public const int MaxPayloadLength = 0xFFFFFF;

    public static byte[] Data(uint streamId, byte flags, ReadOnlySpan<byte> data)
    {
        var frame = new byte[HeaderLength + data.Length];
        WriteDataHeader(frame, streamId, flags, data.Length);
        data.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>Writes a data frame's header in front of <paramref name="length"/> bytes already in place after it.</summary>
    public static void WriteDataHeader(Span<byte> frame, uint streamId, byte flags, int length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(frame, streamId & 0x7FFFFFFF);
        WriteFlagsAndLength(frame, flags, length);
    }

    public static byte[] Control(SpdyFrameType type, byte flags, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, 0x8000 | Version);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)type);
        WriteFlagsAndLength(frame, flags, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    public static byte[] SynStream(uint streamId, uint associatedStreamId, byte priority, byte flags, ReadOnlySpan<byte> headerBlock)
    {
        var payload = new byte[10 + headerBlock.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, streamId & 0x7FFFFFFF);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), associatedStreamId & 0x7FFFFFFF);
        payload[8] = (byte)(priority << 5);
        headerBlock.CopyTo(payload.AsSpan(10));
        return Control(SpdyFrameType.SynStream, flags, payload);
    }

    public static byte[] SynReply(uint streamId, byte flags, ReadOnlySpan<byte> headerBlock) =>
        Control(SpdyFrameType.SynReply, flags, StreamIdThen(streamId, headerBlock));

    public static byte[] RstStream(uint streamId, SpdyRstStatus status) =>
        Control(SpdyFrameType.RstStream, 0, TwoWords(streamId & 0x7FFFFFFF, (uint)status));

    public static byte[] Ping(uint id) => Control(SpdyFrameType.Ping, 0, OneWord(id));

    public static byte[] GoAway(uint lastGoodStreamId, uint status) =>
        Control(SpdyFrameType.GoAway, 0, TwoWords(lastGoodStreamId & 0x7FFFFFFF, status));

    public static byte[] WindowUpdate(uint streamId, uint delta) =>
        Control(SpdyFrameType.WindowUpdate, 0, TwoWords(streamId & 0x7FFFFFFF, delta & 0x7FFFFFFF));

    /// <summary>The stream id a control frame refers to, for the types that name one (else 0).</summary>
    public static uint ControlStreamId(SpdyFrameType type, ReadOnlySpan<byte> payload) =>
        type is SpdyFrameType.SynStream or SpdyFrameType.SynReply or SpdyFrameType.RstStream or SpdyFrameType.Headers or SpdyFrameType.WindowUpdate
            && payload.Length >= 4
            ? BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFFFFFF
            : 0;

    /// <summary>The compressed header block of a SYN_STREAM (after stream id, associated id, priority and slot).</summary>
    public static ReadOnlyMemory<byte> SynStreamHeaderBlock(SpdyFrame frame) =>
        frame.Payload.Length >= 10 ? frame.Payload.AsMemory(10) : throw new InvalidDataException("SYN_STREAM frame is too short");

    /// <summary>The compressed header block of a SYN_REPLY or HEADERS frame (after the stream id).</summary>
    public static ReadOnlyMemory<byte> ReplyHeaderBlock(SpdyFrame frame) =>
        frame.Payload.Length >= 4 ? frame.Payload.AsMemory(4) : throw new InvalidDataException($"{frame.Type} frame is too short");

    /// <summary>The 32-bit word at <paramref name="index"/> of a control payload (PING id, RST status, GOAWAY status, ...).</summary>
    public static uint Word(SpdyFrame frame, int index) =>
        frame.Payload.Length >= 4 * (index + 1)
            ? BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.AsSpan(4 * index))
            : throw new InvalidDataException($"{frame.Type} frame is too short");

    private static void WriteFlagsAndLength(Span<byte> frame, byte flags, int length)
    {
        if (length > MaxPayloadLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "a SPDY frame holds at most 16 MB");
        }
        BinaryPrimitives.WriteUInt32BigEndian(frame[4..], (uint)flags << 24 | (uint)length);
    }

    private static byte[] StreamIdThen(uint streamId, ReadOnlySpan<byte> rest)
    {
        var payload = new byte[4 + rest.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, streamId & 0x7FFFFFFF);
        rest.CopyTo(payload.AsSpan(4));
        return payload;
    }

    private static byte[] OneWord(uint a)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, a);
        return payload;
    }

    private static byte[] TwoWords(uint a, uint b)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, a);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), b);
        return payload;
    }
}

/// <summary>Reads SPDY frames from a byte stream, whatever the stream's read boundaries.</summary>
internal sealed class SpdyFrameReader(Stream stream)
{
    private readonly byte[] _header = new byte[SpdyFrames.HeaderLength];

    /// <summary>The next frame, or null at a clean end of the stream (between frames).</summary>
    public async ValueTask<SpdyFrame?> ReadAsync(CancellationToken ct)
    {
        var first = await stream.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        if (first == 0)
        {
            return null;
        }
        if (first < _header.Length)
        {
            throw new EndOfStreamException("the connection ended inside a SPDY frame header");
        }
        var word = BinaryPrimitives.ReadUInt32BigEndian(_header);
        var flagsAndLength = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(4));
        var flags = (byte)(flagsAndLength >> 24);
        var payload = new byte[flagsAndLength & 0xFFFFFF];
        await stream.ReadExactlyAsync(payload, ct).ConfigureAwait(false);
        if ((word & 0x80000000) == 0)
        {
            return new SpdyFrame(false, 0, flags, word & 0x7FFFFFFF, payload);
        }
        var version = (word >> 16) & 0x7FFF;
        if (version != SpdyFrames.Version)
        {
            throw new InvalidDataException($"unsupported SPDY version {version}");
        }
        var type = (SpdyFrameType)(word & 0xFFFF);
        return new SpdyFrame(true, type, flags, SpdyFrames.ControlStreamId(type, payload), payload);
    }
}
