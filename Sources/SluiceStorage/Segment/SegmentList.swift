/// A partition's segments, sorted by base offset; the last one is the active segment that
/// receives appends.
///
/// Invariant: base offsets strictly increase, and each segment's batches end at or before the
/// next segment's base offset. The list is never empty once a log is open.
struct SegmentList {
    private(set) var segments: [Segment] = []

    init(_ segments: [Segment] = []) {
        self.segments = segments.sorted { $0.baseOffset < $1.baseOffset }
    }

    var isEmpty: Bool { segments.isEmpty }
    var count: Int { segments.count }
    var first: Segment? { segments.first }
    var active: Segment { segments[segments.count - 1] }
    var totalSize: Int { segments.reduce(0) { $0 + $1.size } }

    /// The index of the segment that would hold `offset`: the last one whose base is <= it.
    func floorIndex(_ offset: Int64) -> Int? {
        var lo = 0
        var hi = segments.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if segments[mid].baseOffset <= offset { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }

    func floor(_ offset: Int64) -> Segment? {
        floorIndex(offset).map { segments[$0] }
    }

    subscript(_ i: Int) -> Segment { segments[i] }

    /// The base offset of the segment after `i`, or nil for the active segment.
    func nextBase(after i: Int) -> Int64? {
        i + 1 < segments.count ? segments[i + 1].baseOffset : nil
    }

    mutating func append(_ segment: Segment) {
        precondition(segments.last.map { $0.baseOffset < segment.baseOffset } ?? true, "segments out of order")
        segments.append(segment)
    }

    /// Removes and returns the segments at `indices` (ascending positions in the list).
    mutating func remove(_ range: Range<Int>) -> [Segment] {
        let removed = Array(segments[range])
        segments.removeSubrange(range)
        return removed
    }

    /// Replaces the segments in `range` with `segment` (after compaction).
    mutating func replace(_ range: Range<Int>, with segment: Segment) {
        segments.replaceSubrange(range, with: [segment])
    }

    /// The position of `segment` (by identity) in the list.
    func index(of segment: Segment) -> Int? {
        segments.firstIndex { $0 === segment }
    }
}
