/// The sparse offset index of one segment: every `index.interval.bytes` of log, the base offset
/// of a batch and the byte position where that batch starts.
///
/// Kept in memory (sorted arrays, binary search) and written whole to `<base>.index` when the
/// segment is complete (roll, flush, shutdown). File format: 8-byte entries, big-endian
/// (relative offset: int32, position: int32), Kafka's layout.
///
/// Invariants: relative offsets and positions strictly increase; every position is the start of
/// a batch whose base offset is the entry's offset.
struct OffsetIndex: Equatable {
    static let entrySize = 8

    let baseOffset: Int64
    private(set) var relativeOffsets: [Int32] = []
    private(set) var positions: [Int32] = []

    init(baseOffset: Int64) {
        self.baseOffset = baseOffset
    }

    var count: Int { positions.count }
    var isEmpty: Bool { positions.isEmpty }
    var byteSize: Int { count * Self.entrySize }
    var last: (offset: Int64, position: Int)? {
        guard let o = relativeOffsets.last, let p = positions.last else { return nil }
        return (baseOffset + Int64(o), Int(p))
    }

    mutating func append(offset: Int64, position: Int) {
        let relative = Int32(offset - baseOffset)
        if let lastOffset = relativeOffsets.last, relative <= lastOffset || Int32(position) <= positions.last! {
            return
        }
        relativeOffsets.append(relative)
        positions.append(Int32(position))
    }

    /// The entry with the largest offset <= `offset`, or nil when every entry is above it (then
    /// the search starts at the beginning of the segment).
    func floor(offset: Int64) -> (offset: Int64, position: Int)? {
        let target = offset - baseOffset
        guard target >= 0 else { return nil }
        let clamped = target > Int64(Int32.max) ? Int32.max : Int32(target)
        guard let i = Self.lastIndex(in: relativeOffsets, atMost: clamped) else { return nil }
        return (baseOffset + Int64(relativeOffsets[i]), Int(positions[i]))
    }

    /// The entry with the largest position <= `position`.
    func floor(position: Int) -> (offset: Int64, position: Int)? {
        let clamped = position > Int(Int32.max) ? Int32.max : Int32(position)
        guard let i = Self.lastIndex(in: positions, atMost: clamped) else { return nil }
        return (baseOffset + Int64(relativeOffsets[i]), Int(positions[i]))
    }

    /// Drops entries at or after `position` (the log was truncated there).
    mutating func truncate(toPosition position: Int) {
        let keep = positions.firstIndex(where: { Int($0) >= position }) ?? positions.count
        relativeOffsets.removeSubrange(keep...)
        positions.removeSubrange(keep...)
    }

    /// Index of the last element <= `value` in an ascending array.
    static func lastIndex<T: Comparable>(in array: [T], atMost value: T) -> Int? {
        var lo = 0
        var hi = array.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if array[mid] <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteSize)
        for i in 0..<count {
            appendBigEndian(relativeOffsets[i], to: &out)
            appendBigEndian(positions[i], to: &out)
        }
        return out
    }

    /// Decodes an index file, checking it against the log it indexes; nil when it cannot be
    /// trusted (the caller rebuilds it from the log).
    static func decode(_ bytes: [UInt8], baseOffset: Int64, logSize: Int) -> OffsetIndex? {
        guard bytes.count % entrySize == 0 else { return nil }
        var index = OffsetIndex(baseOffset: baseOffset)
        var i = 0
        while i < bytes.count {
            let relative: Int32 = readBigEndian(bytes, at: i)
            let position: Int32 = readBigEndian(bytes, at: i + 4)
            guard relative >= 0, position >= 0, Int(position) < logSize else { return nil }
            if let lastOffset = index.relativeOffsets.last {
                guard relative > lastOffset, position > index.positions.last! else { return nil }
            }
            index.relativeOffsets.append(relative)
            index.positions.append(position)
            i += entrySize
        }
        return index
    }
}

func appendBigEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
}

func readBigEndian<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int) -> T {
    bytes.withUnsafeBytes { T(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
}
