/// The LZ4 block format: sequences of (token, literals, 2-byte offset, match length), written from
/// the format description in lz4's `doc/lz4_Block_format.md`.
enum LZ4Block {
    static let minMatch = 4
    /// The last 5 bytes of a block are always literals.
    static let lastLiterals = 5
    /// The last match must start at least 12 bytes before the end of the block.
    static let matchStartLimit = 12
    static let maxDistance = 65_535

    // MARK: Decoding

    /// Decodes one block and appends it to `output`. Matches may reach back to `windowStart`
    /// (the block's own start for independent blocks, earlier output for linked ones); the
    /// block may produce at most `maxBlockSize` bytes.
    static func decode(
        _ block: UnsafeRawBufferPointer, into output: inout CodecOutput, windowStart: Int, maxBlockSize: Int
    ) throws {
        var input = CodecInput(block, codec: .lz4)
        let start = output.count
        while true {
            let token = try input.byte("token")
            var literalLength = Int(token >> 4)
            if literalLength == 15 { literalLength += try lengthExtension(&input) }
            guard literalLength <= maxBlockSize - (output.count - start) else { throw tooLong(maxBlockSize) }
            try output.append(try input.take(literalLength, "literals"))
            // The last sequence of a block has literals only.
            if input.isAtEnd { return }
            let offset = Int(try input.byte("offset")) | Int(try input.byte("offset")) << 8
            var matchLength = Int(token & 15)
            if matchLength == 15 { matchLength += try lengthExtension(&input) }
            matchLength += minMatch
            guard matchLength <= maxBlockSize - (output.count - start) else { throw tooLong(maxBlockSize) }
            try output.appendMatch(distance: offset, length: matchLength, windowStart: windowStart)
        }
    }

    /// Extra length bytes after a nibble of 15: add each byte, continue while it is 255.
    private static func lengthExtension(_ input: inout CodecInput) throws -> Int {
        var total = 0
        while true {
            let b = try input.byte("length")
            total += Int(b)
            if b != 255 { return total }
        }
    }

    private static func tooLong(_ maxBlockSize: Int) -> CompressionError {
        .corrupt(.lz4, "block decodes to more than its maximum size of \(maxBlockSize) bytes")
    }

    // MARK: Encoding

    /// The most bytes `compress` can produce for `count` input bytes.
    static func maxCompressedSize(_ count: Int) -> Int { count + count / 255 + 16 }

    /// Compresses `source` into one independent block appended to `out`: a greedy single-probe
    /// hash-table matcher (the shape of LZ4's fast mode), respecting the end-of-block rules.
    static func compress(_ source: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let count = source.count
        var anchor = 0
        if count > matchStartLimit {
            let hashLog = 14
            var table = [Int32](repeating: -1, count: 1 << hashLog)
            let matchEndLimit = count - lastLiterals
            let lastMatchStart = count - matchStartLimit
            var i = 0
            while i < lastMatchStart {
                let sequence = source.loadUnaligned(fromByteOffset: i, as: UInt32.self)
                let h = Int((sequence &* 2_654_435_761) >> UInt32(32 - hashLog))
                let candidate = Int(table[h])
                table[h] = Int32(i)
                if candidate >= 0, i - candidate <= maxDistance,
                    source.loadUnaligned(fromByteOffset: candidate, as: UInt32.self) == sequence
                {
                    var end = i + minMatch
                    var reference = candidate + minMatch
                    while end < matchEndLimit && source[end] == source[reference] {
                        end += 1
                        reference += 1
                    }
                    emitSequence(source, literalsFrom: anchor, to: i, distance: i - candidate, matchLength: end - i, into: &out)
                    i = end
                    anchor = end
                } else {
                    // Skip faster through data that does not compress, as LZ4 does.
                    i += 1 + (i - anchor) >> 6
                }
            }
        }
        emitLastLiterals(source, from: anchor, into: &out)
    }

    private static func emitSequence(
        _ source: UnsafeRawBufferPointer, literalsFrom start: Int, to end: Int, distance: Int, matchLength: Int,
        into out: inout [UInt8]
    ) {
        let literalLength = end - start
        let matchCode = matchLength - minMatch
        out.append(UInt8(min(literalLength, 15)) << 4 | UInt8(min(matchCode, 15)))
        if literalLength >= 15 { appendLengthExtension(literalLength - 15, into: &out) }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: source[start..<end]))
        out.append(UInt8(distance & 0xFF))
        out.append(UInt8(distance >> 8))
        if matchCode >= 15 { appendLengthExtension(matchCode - 15, into: &out) }
    }

    private static func emitLastLiterals(_ source: UnsafeRawBufferPointer, from start: Int, into out: inout [UInt8]) {
        let literalLength = source.count - start
        out.append(UInt8(min(literalLength, 15)) << 4)
        if literalLength >= 15 { appendLengthExtension(literalLength - 15, into: &out) }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: source[start...]))
    }

    private static func appendLengthExtension(_ value: Int, into out: inout [UInt8]) {
        var rest = value
        while rest >= 255 {
            out.append(255)
            rest -= 255
        }
        out.append(UInt8(rest))
    }
}
