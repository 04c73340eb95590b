import NIOCore

/// Splits a byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.
///
/// A size above `maxFrameSize` (the broker's `socket.request.max.bytes`) or below zero is an
/// error: the connection must be closed, since the stream can no longer be resynchronised.
/// Usable with NIO's `ByteToMessageHandler`.
public struct KafkaFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public let maxFrameSize: Int

    public init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.nextFrame(from: &buffer, maxFrameSize: maxFrameSize) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    /// Delivers the frames still buffered; at end of stream, bytes of an unfinished frame are
    /// an error (`ByteToMessageDecoderError.leftoverDataWhenDone`): the peer hung up mid-request.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        if try decode(context: context, buffer: &buffer) == .continue { return .continue }
        if seenEOF && buffer.readableBytes > 0 {
            let leftover = buffer
            buffer.moveReaderIndex(to: buffer.writerIndex)
            throw ByteToMessageDecoderError.leftoverDataWhenDone(leftover)
        }
        return .needMoreData
    }

    /// Takes the next whole frame off `buffer`, or nil when more bytes are needed.
    public static func nextFrame(from buffer: inout ByteBuffer, maxFrameSize: Int) throws -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard size >= 0, Int(size) <= maxFrameSize else { throw FrameSizeError(size: Int(size), limit: maxFrameSize) }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(size))
    }
}

/// A frame whose size prefix is negative or above the limit.
public struct FrameSizeError: Error, Hashable, Sendable, CustomStringConvertible {
    public var size: Int
    public var limit: Int

    public var description: String {
        "frame size \(size) is outside 0...\(limit)" + (looksLikeTLS ? " (these are the first bytes of a TLS record: TLS on one side, plaintext on the other)" : "")
    }

    /// Whether the four bytes read as a size open a TLS record (handshake 0x16 or alert 0x15,
    /// version 3.x): a TLS peer met by a plaintext one, the common misconfiguration.
    public var looksLikeTLS: Bool {
        let bytes = UInt32(truncatingIfNeeded: size)
        return (bytes >> 24 == 0x15 || bytes >> 24 == 0x16) && (bytes >> 16) & 0xFF == 0x03
    }
}
