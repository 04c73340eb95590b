/// View 5: live messages of a topic or partition, oldest at the top, newest at the bottom.
public enum TailView {
    public static func table(_ state: AppState) -> TableModel {
        let tail = state.tail
        let filterText = state.filter(.tail)
        let filter = try? TailFilter(filterText)
        let messages = filterText.isEmpty ? tail.messages : tail.messages.filter { filter?.matches($0) ?? true }
        let ascii = state.glyphs.isASCII
        let rows = messages.map { m -> TableRow in
            TableRow(id: m.id, cells: [
                [Span("\(m.partition)", .text)],
                [Span("\(m.offset)", .text)],
                [Span(Format.timestamp(millis: m.timestamp, zone: state.timeZone), .muted)],
                preview(m.key, ascii: ascii),
                preview(m.value, ascii: ascii),
                [Span(TextWidth.sanitized(m.headersPreview, ascii: ascii), m.headers.isEmpty ? .muted : .text)],
            ])
        }
        let empty: String
        if let error = tail.error {
            empty = "Tail failed: \(error)"
        } else if tail.target == nil {
            empty = "Nothing tailed: press t on a topic or partition, or type :tail TOPIC"
        } else if !tail.messages.isEmpty {
            empty = "No message matches the filter"
        } else {
            empty = tail.paused ? "Paused" : "Waiting for messages…"
        }
        return TableModel(columns: columns, rows: rows, emptyMessage: empty)
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
        Selection.drawTable(table(state), page: .tail, state: state, into: &grid, rect: rect)
    }

    /// The tab bar's description of the tail.
    static func summary(_ state: AppState) -> String {
        let tail = state.tail
        guard let target = tail.target else { return "nothing tailed" }
        let scope = target.partition == nil ? "\(target.topic) (all partitions)" : "\(target.topic) partition \(target.partition!)"
        let run = tail.paused ? "\(state.glyphs.paused) paused" : "\(state.glyphs.live) live"
        return "\(scope) \(run), \(tail.follow ? "follow" : "no follow"), \(tail.received) received"
    }

    private static func preview(_ bytes: [UInt8]?, ascii: Bool) -> [Span] {
        guard let bytes else { return [Span("null", .muted)] }
        return [Span(TextWidth.sanitized(TailMessage.preview(Array(bytes.prefix(512))), ascii: ascii), .text)]
    }
}
