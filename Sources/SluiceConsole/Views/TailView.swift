/// View 5: live messages of a topic or partition, oldest at the top, newest at the bottom.
public enum TailView {
    /// The messages the filter lets through, oldest first.
    static func visibleMessages(_ state: AppState) -> [TailMessage] {
        let filterText = state.filter(.tail)
        guard !filterText.isEmpty, let filter = try? TailFilter(filterText) else { return state.tail.messages }
        return state.tail.messages.filter { filter.matches($0) }
    }

    /// Row ids only (what the selection needs), without formatting every message.
    static func rowIDs(_ state: AppState) -> [String] { visibleMessages(state).map(\.id) }

    /// The table with cells for `window` only (the rows on screen): the tail holds thousands of
    /// messages and changes many times a second.
    public static func table(_ state: AppState, window: Range<Int>? = nil) -> TableModel {
        let tail = state.tail
        let messages = visibleMessages(state)
        let range = (window ?? 0..<messages.count).clamped(to: 0..<messages.count)
        let ascii = state.glyphs.isASCII
        let rows = messages[range].map { m -> TableRow in
            TableRow(id: m.id, cells: [
                [Span("\(m.partition)", .text)],
                [Span("\(m.offset)", .text)],
                [Span(Format.timestamp(millis: m.timestamp, zone: state.timeZone), .muted)],
                preview(m.key, glyphs: state.glyphs),
                preview(m.value, glyphs: state.glyphs),
                headers(m.headers, glyphs: state.glyphs),
            ])
        }
        let empty: String
        if let missing = tail.topicMissing, let topic = tail.target?.topic {
            empty = missing == .deleted ? "Topic \(topic) was deleted; the tail starts over when it is created again"
                : "No topic \(topic) yet; the tail starts when it is created"
        } else if let error = tail.error {
            empty = "Tail failed: \(error)"
        } else if tail.target == nil {
            empty = "Nothing tailed: press t on a topic or partition, or type :tail TOPIC"
        } else if !tail.messages.isEmpty {
            empty = "No message matches the filter"
        } else {
            empty = tail.paused ? "Paused" : "Waiting for messages…"
        }
        return TableModel(columns: columns, rows: rows, emptyMessage: empty, firstRowIndex: range.lowerBound,
                          totalRows: messages.count)
    }

    static let columns = [
        TableColumn("Part", width: 4, right: true, priority: 90),
        TableColumn("Offset", width: 8, right: true, priority: 100),
        TableColumn("Timestamp", width: 23, priority: 60),
        TableColumn("Key", width: 10, flex: 1, priority: 80),
        TableColumn("Value", width: 20, flex: 4, priority: 100),
        TableColumn("Headers", width: 10, flex: 1, priority: 50),
    ]

    public static func draw(_ state: AppState, into grid: inout CellGrid, rect: Rect) {
        let ids = rowIDs(state)
        let visible = max(0, rect.height - 1)
        let position = Selection.resolve(state.position(.tail), ids: ids, visible: visible)
        let top = position?.scrollTop ?? 0
        let model = table(state, window: top..<(top + visible))
        TableRenderer.draw(model, into: &grid, rect: rect, selected: position?.selectedIndex, scrollTop: top, glyphs: state.glyphs)
    }

    /// The tab bar's description of the tail, in parts (the filter, added by the tab bar, comes
    /// before the follow mode and the count when room is short).
    static func summary(_ state: AppState) -> [SegmentLine.Segment] {
        typealias S = SegmentLine.Segment
        let tail = state.tail
        guard let target = tail.target else { return [S([Span("nothing tailed", .tab)], priority: 100)] }
        let scope = target.partition == nil ? "\(target.topic) (all partitions)" : "\(target.topic) partition \(target.partition!)"
        let run = tail.topicMissing == .deleted ? "deleted" : tail.topicMissing == .notCreated ? "no such topic"
            : tail.paused ? "\(state.glyphs.paused) paused" : "\(state.glyphs.live) live"
        return [
            S([Span("\(scope) \(run)", .tab)], priority: 100, short: [Span("\(target.description) \(run)", .tab)], shortPriority: 70),
            S([Span(tail.follow ? "follow" : "no follow", .tab)], priority: 50),
            S([Span("\(tail.received) received", .tab)], priority: 40),
        ]
    }

    /// A key or value: a null one is the null glyph (muted), never the text "null".
    private static func preview(_ bytes: [UInt8]?, glyphs: Glyphs) -> [Span] {
        guard let bytes else { return [Span(glyphs.null, .muted)] }
        return [Span(TextWidth.sanitized(TailMessage.preview(Array(bytes.prefix(512))), ascii: glyphs.isASCII), .text)]
    }

    /// "name=value,name2=∅": null header values as the null glyph (muted).
    private static func headers(_ headers: [TailMessage.Header], glyphs: Glyphs) -> [Span] {
        var spans: [Span] = []
        for (n, h) in headers.enumerated() {
            spans.append(Span((n > 0 ? "," : "") + TextWidth.sanitized(h.key + "=", ascii: glyphs.isASCII), .text))
            if let value = h.value {
                spans.append(Span(TextWidth.sanitized(TailMessage.preview(Array(value.prefix(256))), ascii: glyphs.isASCII), .text))
            } else {
                spans.append(Span(glyphs.null, .muted))
            }
        }
        return spans
    }
}
