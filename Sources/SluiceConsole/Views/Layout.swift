/// Where each part of the screen goes. Two header lines, the tab bar, the body, the status line,
/// the footer. Pure arithmetic on the terminal size.
public enum Layout {
    public static func header(width: Int) -> Rect { Rect(x: 0, y: 0, width: width, height: 2) }
    public static func tabs(width: Int) -> Rect { Rect(x: 0, y: 2, width: width, height: 1) }
    public static func body(width: Int, height: Int) -> Rect { Rect(x: 0, y: 3, width: width, height: height - 5) }
    public static func status(width: Int, height: Int) -> Rect { Rect(x: 0, y: height - 2, width: width, height: 1) }
    public static func footer(width: Int, height: Int) -> Rect { Rect(x: 0, y: height - 1, width: width, height: 1) }

    /// Rows of the body a table can show (one goes to the column titles).
    public static func visibleRows(width: Int, height: Int, page: Page) -> Int {
        let body = body(width: width, height: height).height
        if page.isDetail { return body }
        return max(0, body - 1)
    }
}

/// A line made of segments that each may be shortened or dropped when the line is too narrow.
public struct SegmentLine {
    public struct Segment {
        public var spans: [Span]
        /// Higher survives longer.
        public var priority: Int
        /// A shorter form, used (instead of dropping segments of a priority above `shortPriority`)
        /// when the line is too narrow.
        public var short: [Span]?
        public var shortPriority: Int

        public init(_ spans: [Span], priority: Int, short: [Span]? = nil, shortPriority: Int = 0) {
            self.spans = spans
            self.priority = priority
            self.short = short
            self.shortPriority = shortPriority
        }
    }

    /// The segments that fit in `width`, in their original order, joined by `separator`. While the
    /// line is too wide, the cheapest change is made: drop the lowest-priority segment (the
    /// rightmost among equals), or shorten a segment whose `shortPriority` is lower than that.
    public static func fit(_ segments: [Segment], width: Int, separator: Span) -> [Span] {
        var segments = segments
        var kept = Array(segments.indices)
        var shortened = Set<Int>()
        func total(_ ids: [Int]) -> Int {
            ids.reduce(0) { $0 + Span.columns(segments[$1].spans) }
                + max(0, ids.count - 1) * TextWidth.columns(of: separator.text)
        }
        while total(kept) > width {
            let victim = kept.enumerated().min { a, b in
                segments[a.element].priority != segments[b.element].priority
                    ? segments[a.element].priority < segments[b.element].priority : a.offset > b.offset
            }!
            let shortenable = kept.filter { segments[$0].short != nil && !shortened.contains($0) }
                .min { segments[$0].shortPriority < segments[$1].shortPriority }
            if let i = shortenable, segments[i].shortPriority < segments[victim.element].priority || kept.count == 1 {
                segments[i].spans = segments[i].short!
                shortened.insert(i)
                continue
            }
            guard kept.count > 1 else { break }
            kept.remove(at: victim.offset)
        }
        var out: [Span] = []
        for (n, i) in kept.enumerated() {
            if n > 0 { out.append(separator) }
            out += segments[i].spans
        }
        return out
    }
}
