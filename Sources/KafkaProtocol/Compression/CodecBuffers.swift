import NIOCore

/// Bounds-checked reading of compressed input: every read that would pass the end throws a
/// ``CompressionError`` instead of trapping.
struct CodecInput {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    let codec: CompressionCodec

    init(_ bytes: UnsafeRawBufferPointer, codec: CompressionCodec) {
        self.bytes = bytes
        self.codec = codec
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position >= bytes.count }

    func truncated(_ what: String) -> CompressionError {
        .corrupt(codec, "input truncated in \(what) at byte \(position) of \(bytes.count)")
    }

    mutating func byte(_ what: String = "data") throws -> UInt8 {
        guard position < bytes.count else { throw truncated(what) }
        defer { position += 1 }
        return bytes[position]
    }

    /// The next `count` bytes, as a view of the input.
    mutating func take(_ count: Int, _ what: String = "data") throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw truncated(what) }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    mutating func uint32LittleEndian(_ what: String) throws -> UInt32 {
        let b = try take(4, what)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    mutating func uint64LittleEndian(_ what: String) throws -> UInt64 {
        let low = UInt64(try uint32LittleEndian(what))
        return low | UInt64(try uint32LittleEndian(what)) << 32
    }

    mutating func int32BigEndian(_ what: String) throws -> Int32 {
        let b = try take(4, what)
        return Int32(bitPattern: UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]))
    }
}

/// Decompressed output under construction, never allowed to grow past `limit` bytes.
///
/// Capacity grows only as real output is produced (NIO doubles it), never from a size the
/// input claims, so a hostile input costs at most about twice the limit before it is refused.
struct CodecOutput {
    private(set) var buffer: ByteBuffer
    let limit: Int
    let codec: CompressionCodec

    /// `expected` is a hint (e.g. a size the input declares); it is clamped to the limit and to
    /// `hintCeiling`, so a lying header cannot make us allocate.
    init(codec: CompressionCodec, limit: Int, expected: Int = 0, hintCeiling: Int = 1 << 20) {
        self.codec = codec
        self.limit = max(0, limit)
        self.buffer = ByteBufferAllocator().buffer(capacity: max(0, min(expected, self.limit, hintCeiling)))
    }

    var count: Int { buffer.writerIndex }

    /// Makes room for `extra` more bytes, or throws when they would pass the limit.
    mutating func reserve(_ extra: Int) throws {
        guard extra >= 0, extra <= limit - count else { throw CompressionError.outputLimitExceeded(codec, limit: limit) }
        if buffer.writableBytes < extra {
            buffer.reserveCapacity(minimumWritableBytes: extra)
        }
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        try reserve(bytes.count)
        buffer.writeBytes(bytes)
    }

    /// Copies `length` bytes starting `distance` bytes back from the end of the output (an LZ77
    /// match; overlapping copies repeat the pattern). `windowStart` is the first byte a match may
    /// reach back to.
    mutating func appendMatch(distance: Int, length: Int, windowStart: Int = 0) throws {
        guard distance > 0, distance <= count - windowStart else {
            throw CompressionError.corrupt(codec, "match distance \(distance) reaches before the start of the data")
        }
        try reserve(length)
        let end = count
        buffer.withVeryUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            var source = end - distance
            var destination = end
            if distance >= length {
                (base + destination).copyMemory(from: base + source, byteCount: length)
                return
            }
            // Overlapping: the pattern of `distance` bytes repeats. Copy it in growing chunks.
            var left = length
            while left > 0 {
                let chunk = min(left, destination - source)
                (base + destination).copyMemory(from: base + source, byteCount: chunk)
                destination += chunk
                left -= chunk
                source = end - distance
            }
        }
        buffer.moveWriterIndex(forwardBy: length)
    }

    /// Runs `body` on the writable area of at least `capacity` bytes; it returns how many it wrote.
    mutating func write(upTo capacity: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        try reserve(capacity)
        let written = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { raw in
            try body(UnsafeMutableRawBufferPointer(rebasing: raw[0..<capacity]))
        }
        precondition(written <= capacity)
    }

    /// The bytes written from `start` to the end, for checksums over a block or a frame.
    func bytes(from start: Int) -> ByteBuffer {
        buffer.getSlice(at: start, length: count - start)!
    }
}

extension ByteBuffer {
    /// Runs `body` over the readable bytes as a ``CodecInput``.
    func withCodecInput<T>(_ codec: CompressionCodec, _ body: (inout CodecInput) throws -> T) rethrows -> T {
        try withUnsafeReadableBytes { raw in
            var input = CodecInput(raw, codec: codec)
            return try body(&input)
        }
    }
}
