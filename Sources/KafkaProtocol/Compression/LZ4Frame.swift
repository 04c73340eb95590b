import NIOCore

/// The LZ4 frame format (magic 0x184D2204), which Kafka uses for codec 3 since KIP-57, written
/// from lz4's `doc/lz4_Frame_format.md`.
///
/// Decoding accepts every flag combination: linked or independent blocks, block checksums,
/// content checksum, content size, block sizes 64 KB to 4 MB, uncompressed blocks, and
/// skippable frames between frames. Encoding writes what Kafka's Java client writes
/// (`KafkaLZ4BlockOutputStream`): version 1, independent blocks (Java's reader refuses linked
/// ones), 64 KB blocks, no checksums besides the header's, no content size.
enum LZ4Frame {
    static let magic: UInt32 = 0x184D_2204
    static let blockSize = 64 * 1024

    private enum Flag {
        static let versionMask: UInt8 = 0xC0
        static let version1: UInt8 = 0x40
        static let blockIndependence: UInt8 = 0x20
        static let blockChecksum: UInt8 = 0x10
        static let contentSize: UInt8 = 0x08
        static let contentChecksum: UInt8 = 0x04
        static let reserved: UInt8 = 0x02
        static let dictionaryID: UInt8 = 0x01
    }

    // MARK: Decoding

    static func decompress(_ input: ByteBuffer, maxSize: Int) throws -> ByteBuffer {
        try input.withCodecInput(.lz4) { input in
            var output = CodecOutput(codec: .lz4, limit: maxSize, expected: input.remaining * 3)
            guard !input.isAtEnd else { throw CompressionError.corrupt(.lz4, "empty input (no frame)") }
            while !input.isAtEnd {
                let magic = try input.uint32LittleEndian("magic")
                if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
                    // A skippable frame: a 4-byte size, then data nobody interprets.
                    let size = Int(try input.uint32LittleEndian("skippable frame size"))
                    _ = try input.take(size, "skippable frame")
                    continue
                }
                guard magic == Self.magic else {
                    throw CompressionError.corrupt(.lz4, "bad frame magic 0x\(String(magic, radix: 16))")
                }
                try decodeFrame(&input, into: &output)
            }
            return output.buffer
        }
    }

    /// Decodes one frame after its magic number.
    private static func decodeFrame(_ input: inout CodecInput, into output: inout CodecOutput) throws {
        let descriptorStart = input.position
        let flags = try input.byte("frame descriptor")
        let blockDescriptor = try input.byte("frame descriptor")
        guard flags & Flag.versionMask == Flag.version1 else {
            throw CompressionError.corrupt(.lz4, "unsupported frame version \(flags >> 6)")
        }
        guard flags & Flag.reserved == 0, blockDescriptor & 0x8F == 0 else {
            throw CompressionError.corrupt(.lz4, "reserved bits set in the frame descriptor")
        }
        let sizeID = Int(blockDescriptor >> 4 & 0x07)
        guard sizeID >= 4 else { throw CompressionError.corrupt(.lz4, "invalid block maximum size id \(sizeID)") }
        let maxBlockSize = 1 << (8 + 2 * sizeID)  // 4: 64 KB, 5: 256 KB, 6: 1 MB, 7: 4 MB
        var contentSize: UInt64?
        if flags & Flag.contentSize != 0 { contentSize = try input.uint64LittleEndian("content size") }
        if flags & Flag.dictionaryID != 0 {
            _ = try input.uint32LittleEndian("dictionary id")
            throw CompressionError.corrupt(.lz4, "frame needs a preset dictionary, which Kafka never uses")
        }
        let descriptor = UnsafeRawBufferPointer(rebasing: input.bytes[descriptorStart..<input.position])
        let headerChecksum = try input.byte("header checksum")
        let expectedChecksum = UInt8(truncatingIfNeeded: XXHash32.hash(descriptor) >> 8)
        guard headerChecksum == expectedChecksum else {
            throw CompressionError.corrupt(
                .lz4, "frame header checksum 0x\(String(headerChecksum, radix: 16)) should be 0x\(String(expectedChecksum, radix: 16))")
        }
        if let contentSize, contentSize > UInt64(output.limit - output.count) {
            throw CompressionError.outputLimitExceeded(.lz4, limit: output.limit)
        }

        let independent = flags & Flag.blockIndependence != 0
        let frameStart = output.count
        while true {
            let word = try input.uint32LittleEndian("block size")
            if word == 0 { break }  // end mark
            let stored = word & 0x8000_0000 != 0
            let size = Int(word & 0x7FFF_FFFF)
            guard size <= maxBlockSize else {
                throw CompressionError.corrupt(.lz4, "block of \(size) bytes exceeds the frame's maximum \(maxBlockSize)")
            }
            let block = try input.take(size, "block")
            if flags & Flag.blockChecksum != 0 {
                let checksum = try input.uint32LittleEndian("block checksum")
                guard checksum == XXHash32.hash(block) else { throw CompressionError.corrupt(.lz4, "block checksum mismatch") }
            }
            if stored {
                try output.append(block)
            } else {
                // Linked blocks may reach back into earlier blocks of the same frame (the 2-byte
                // offset keeps them within 64 KB).
                let windowStart = independent ? output.count : frameStart
                try LZ4Block.decode(block, into: &output, windowStart: windowStart, maxBlockSize: maxBlockSize)
            }
        }
        let frameLength = output.count - frameStart
        if let contentSize, contentSize != UInt64(frameLength) {
            throw CompressionError.corrupt(.lz4, "frame declares \(contentSize) bytes but holds \(frameLength)")
        }
        if flags & Flag.contentChecksum != 0 {
            let checksum = try input.uint32LittleEndian("content checksum")
            let actual = output.bytes(from: frameStart).withUnsafeReadableBytes { XXHash32.hash($0) }
            guard checksum == actual else { throw CompressionError.corrupt(.lz4, "content checksum mismatch") }
        }
    }

    // MARK: Encoding

    static func compress(_ input: ByteBuffer) -> ByteBuffer {
        input.withUnsafeReadableBytes { source in
            var out: [UInt8] = []
            out.reserveCapacity(LZ4Block.maxCompressedSize(source.count) + 4 * (source.count / blockSize + 1) + 16)
            appendLittleEndian(magic, to: &out)
            let flags = Flag.version1 | Flag.blockIndependence
            let blockDescriptor: UInt8 = 4 << 4  // 64 KB blocks
            out.append(flags)
            out.append(blockDescriptor)
            out.append(UInt8(truncatingIfNeeded: XXHash32.hash([flags, blockDescriptor]) >> 8))
            var block: [UInt8] = []
            var offset = 0
            while offset < source.count {
                let chunk = UnsafeRawBufferPointer(rebasing: source[offset..<min(offset + blockSize, source.count)])
                block.removeAll(keepingCapacity: true)
                LZ4Block.compress(chunk, into: &block)
                if block.count < chunk.count {
                    appendLittleEndian(UInt32(block.count), to: &out)
                    out.append(contentsOf: block)
                } else {
                    appendLittleEndian(UInt32(chunk.count) | 0x8000_0000, to: &out)
                    out.append(contentsOf: chunk)
                }
                offset += chunk.count
            }
            appendLittleEndian(0, to: &out)  // end mark
            return ByteBuffer(bytes: out)
        }
    }

    private static func appendLittleEndian(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value))
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value >> 16))
        out.append(UInt8(truncatingIfNeeded: value >> 24))
    }
}
