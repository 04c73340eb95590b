import NIOCore
import NIOEmbedded
import Testing

@testable import KafkaProtocol

/// Feeds the frame decoder through NIO's `ByteToMessageHandler` in every chunking: whole,
/// byte by byte, random splits, and everything merged into one read (what swift-nio-extras'
/// `ByteToMessageDecoderVerifier` does, written out here since that package is not available).
@Suite("Frame decoder")
struct FrameDecoderTests {
    /// Runs `chunks` through a fresh pipeline and returns the frames, or the error it raised.
    private func decode(_ chunks: [ByteBuffer], maxFrameSize: Int = 1 << 20) throws -> [ByteBuffer] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrameSize)))
        var frames: [ByteBuffer] = []
        for chunk in chunks {
            try channel.writeInbound(chunk)
            while let frame: ByteBuffer = try channel.readInbound() { frames.append(frame) }
        }
        // Closing with a partial frame buffered is an error (leftover data).
        _ = try channel.finish()
        return frames
    }

    private func stream(of frames: [[UInt8]]) -> ByteBuffer {
        var out = ByteBuffer()
        for frame in frames {
            out.writeInteger(Int32(frame.count))
            out.writeBytes(frame)
        }
        return out
    }

    private func frames() throws -> [[UInt8]] {
        var rng = SeededGenerator(seed: 7)
        var frames = try ["kcat", "confluent-kafka", "kafka-python", "aiokafka"].map {
            Array(try Fixtures.data("clients/\($0)-first-request.bin").dropFirst(4))
        }
        frames += [[], [1], rng.bytes(5000), []]
        return frames
    }

    @Test("whole, byte by byte, random chunks and merged reads give the same frames")
    func chunkings() throws {
        let expected = try frames()
        let all = stream(of: expected)
        let seed = TestSeed.make()
        var rng = SeededGenerator(seed: seed)

        #expect(try decode([all]).map(\.bytes) == expected, "one read")
        let bytes = (0..<all.readableBytes).map { all.getSlice(at: $0, length: 1)! }
        #expect(try decode(bytes).map(\.bytes) == expected, "byte by byte")
        for _ in 0..<20 {
            var chunks: [ByteBuffer] = []
            var offset = 0
            while offset < all.readableBytes {
                let length = min(Int.random(in: 1...700, using: &rng), all.readableBytes - offset)
                chunks.append(all.getSlice(at: offset, length: length)!)
                offset += length
            }
            #expect(try decode(chunks).map(\.bytes) == expected, "random chunks, seed \(seed)")
        }
        // Each frame written separately, then all of them as one merged read.
        let separate = expected.map { stream(of: [$0]) }
        #expect(try decode(separate).map(\.bytes) == expected)
    }

    @Test("a size above the limit or below zero is an error; so is EOF inside a frame")
    func errors() throws {
        #expect(throws: FrameSizeError(size: 101, limit: 100)) { _ = try decode([stream(of: [[UInt8](repeating: 0, count: 101)])], maxFrameSize: 100) }
        #expect(try decode([stream(of: [[UInt8](repeating: 0, count: 100)])], maxFrameSize: 100).count == 1)
        var negative = ByteBuffer()
        negative.writeInteger(Int32(-1))
        #expect(throws: FrameSizeError(size: -1, limit: 100)) { _ = try decode([negative], maxFrameSize: 100) }
        // The size alone is enough to refuse: the body never has to arrive.
        var huge = ByteBuffer()
        huge.writeInteger(Int32.max)
        #expect(throws: FrameSizeError.self) { _ = try decode([huge]) }

        let partial = stream(of: [[1, 2, 3]]).getSlice(at: 0, length: 6)!
        #expect(throws: ByteToMessageDecoderError.self) { _ = try decode([partial]) }
        #expect(throws: ByteToMessageDecoderError.self) { _ = try decode([ByteBuffer(bytes: [0, 0])]) }
    }

    @Test("nextFrame leaves a partial frame in the buffer")
    func nextFrame() throws {
        var buffer = stream(of: [[9, 9], [7]])
        buffer = buffer.getSlice(at: 0, length: buffer.readableBytes - 1)!
        #expect(try KafkaFrameDecoder.nextFrame(from: &buffer, maxFrameSize: 10)?.bytes == [9, 9])
        #expect(try KafkaFrameDecoder.nextFrame(from: &buffer, maxFrameSize: 10) == nil)
        #expect(buffer.readableBytes == 4)
    }

    @Test("request frames: an unknown API key still yields the header; short headers throw")
    func requestFrames() throws {
        var unknown = ByteBuffer()
        unknown.writeInteger(Int16(9999))
        unknown.writeInteger(Int16(0))
        unknown.writeInteger(Int32(42))
        unknown.writeInteger(Int16(-1))
        let frame = try RequestFrame(frame: unknown)
        #expect(frame.apiKey == nil && frame.correlationId == 42 && frame.header.clientId == nil)
        for length in 0..<10 {
            #expect(throws: WireError.self) { _ = try RequestFrame(frame: unknown.getSlice(at: 0, length: length)!) }
        }
        // A body that does not match its version throws when decoded, not when framed.
        var metadata = ByteBuffer()
        RequestHeader(requestApiKey: 3, requestApiVersion: 1, correlationId: 1, clientId: "x").encode(to: &(metadata.asWriter), version: 1)
        let request = try RequestFrame(frame: metadata)
        #expect(throws: WireError.self) { _ = try request.decodeBody(MetadataRequest.self) }
    }
}

private extension ByteBuffer {
    /// A writer appending to this buffer (test convenience).
    var asWriter: WireWriter {
        get { WireWriter(buffer: self) }
        set { self = newValue.buffer }
    }
}
