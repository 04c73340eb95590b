/// Snappy's raw block format, written from snappy's `format_description.txt`: a varint with the
/// uncompressed length, then elements — literals, and copies with 1-, 2- or 4-byte offsets.
enum SnappyBlock {
    /// Snappy compresses in independent 64 KB fragments, so every offset fits in two bytes.
    static let fragmentSize = 64 * 1024

    // MARK: Decoding

    /// Decodes one raw block and appends it to `output`.
    static func decode(_ block: UnsafeRawBufferPointer, into output: inout CodecOutput) throws {
        var input = CodecInput(block, codec: .snappy)
        let declared = try uncompressedLength(&input)
        guard declared <= output.limit - output.count else {
            throw CompressionError.outputLimitExceeded(.snappy, limit: output.limit)
        }
        let start = output.count
        let end = start + declared
        // Matches never reach before the block's own start.
        while !input.isAtEnd {
            let tag = try input.byte("tag")
            switch tag & 3 {
            case 0:
                var length = Int(tag >> 2) + 1
                if length > 60 {
                    // 60...63: the length minus one follows in 1...4 little-endian bytes.
                    let bytes = length - 60
                    var value = 0
                    for i in 0..<bytes { value |= Int(try input.byte("literal length")) << (8 * i) }
                    length = value + 1
                }
                guard length <= end - output.count else { throw overrun(declared) }
                try output.append(try input.take(length, "literal"))
            case 1:
                let length = 4 + Int(tag >> 2 & 7)
                let distance = Int(tag >> 5) << 8 | Int(try input.byte("copy offset"))
                try copy(distance: distance, length: length, into: &output, start: start, end: end, declared: declared)
            case 2:
                let length = 1 + Int(tag >> 2)
                let distance = Int(try input.byte("copy offset")) | Int(try input.byte("copy offset")) << 8
                try copy(distance: distance, length: length, into: &output, start: start, end: end, declared: declared)
            default:
                let length = 1 + Int(tag >> 2)
                let distance = Int(try input.uint32LittleEndian("copy offset"))
                try copy(distance: distance, length: length, into: &output, start: start, end: end, declared: declared)
            }
        }
        guard output.count == end else {
            throw CompressionError.corrupt(.snappy, "block declares \(declared) bytes but holds \(output.count - start)")
        }
    }

    private static func copy(
        distance: Int, length: Int, into output: inout CodecOutput, start: Int, end: Int, declared: Int
    ) throws {
        guard length <= end - output.count else { throw overrun(declared) }
        try output.appendMatch(distance: distance, length: length, windowStart: start)
    }

    private static func overrun(_ declared: Int) -> CompressionError {
        .corrupt(.snappy, "block decodes to more than the \(declared) bytes it declares")
    }

    /// The little-endian base-128 varint (at most 32 bits) that starts a block.
    static func uncompressedLength(_ input: inout CodecInput) throws -> Int {
        var result: UInt64 = 0
        for shift in stride(from: 0, through: 28, by: 7) {
            let b = try input.byte("length")
            result |= UInt64(b & 0x7F) << UInt64(shift)
            if b & 0x80 == 0 {
                guard result <= UInt64(UInt32.max) else { break }
                return Int(result)
            }
        }
        throw CompressionError.corrupt(.snappy, "invalid uncompressed length")
    }

    // MARK: Encoding

    /// Compresses `source` into one raw block appended to `out`.
    static func compress(_ source: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var length = UInt32(source.count)
        while length >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        out.append(UInt8(length))
        var table = [Int32](repeating: -1, count: 1 << 14)
        var offset = 0
        while offset < source.count {
            let fragment = UnsafeRawBufferPointer(rebasing: source[offset..<min(offset + fragmentSize, source.count)])
            compressFragment(fragment, table: &table, into: &out)
            offset += fragment.count
        }
    }

    /// A greedy single-probe hash-table matcher over one fragment (offsets stay below 64 KB).
    private static func compressFragment(_ source: UnsafeRawBufferPointer, table: inout [Int32], into out: inout [UInt8]) {
        let count = source.count
        var anchor = 0
        if count >= 16 {
            for i in table.indices { table[i] = -1 }
            let hashShift = UInt32(32 - 14)
            let lastStart = count - 4
            var i = 0
            while i <= lastStart {
                let sequence = source.loadUnaligned(fromByteOffset: i, as: UInt32.self)
                let h = Int((sequence &* 0x1E35_A7BD) >> hashShift)
                let candidate = Int(table[h])
                table[h] = Int32(i)
                if candidate >= 0, source.loadUnaligned(fromByteOffset: candidate, as: UInt32.self) == sequence {
                    var end = i + 4
                    var reference = candidate + 4
                    while end < count && source[end] == source[reference] {
                        end += 1
                        reference += 1
                    }
                    if anchor < i { emitLiteral(UnsafeRawBufferPointer(rebasing: source[anchor..<i]), into: &out) }
                    emitCopy(distance: i - candidate, length: end - i, into: &out)
                    i = end
                    anchor = end
                } else {
                    i += 1 + (i - anchor) >> 5
                }
            }
        }
        if anchor < count { emitLiteral(UnsafeRawBufferPointer(rebasing: source[anchor...]), into: &out) }
    }

    private static func emitLiteral(_ literal: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let n = literal.count - 1
        if n < 60 {
            out.append(UInt8(n) << 2)
        } else if n < 1 << 8 {
            out.append(60 << 2)
            out.append(UInt8(n))
        } else {
            // Fragments are at most 64 KB, so two length bytes always suffice.
            out.append(61 << 2)
            out.append(UInt8(n & 0xFF))
            out.append(UInt8(n >> 8))
        }
        out.append(contentsOf: literal)
    }

    private static func emitCopy(distance: Int, length: Int, into out: inout [UInt8]) {
        var left = length
        // Copies with a 2-byte offset carry at most 64 bytes; keep at least 4 for the last one.
        while left >= 68 {
            emitCopy2(distance: distance, length: 64, into: &out)
            left -= 64
        }
        if left > 64 {
            emitCopy2(distance: distance, length: 60, into: &out)
            left -= 60
        }
        if left < 12 && distance < 2048 {
            out.append(UInt8(1 | (left - 4) << 2 | (distance >> 8) << 5))
            out.append(UInt8(distance & 0xFF))
        } else {
            emitCopy2(distance: distance, length: left, into: &out)
        }
    }

    private static func emitCopy2(distance: Int, length: Int, into out: inout [UInt8]) {
        out.append(UInt8(2 | (length - 1) << 2))
        out.append(UInt8(distance & 0xFF))
        out.append(UInt8(distance >> 8))
    }
}
