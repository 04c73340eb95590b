/// View 6: the timeline of cluster events, newest first.
public enum EventsView {
    public static func table(_ state: AppState) -> TableModel {
        let filter = state.filter(.events)
        let events = state.events.reversed().filter { ListSorts.matches(filter, [$0.text, $0.kind.rawValue]) }
        let rows = events.map { e -> TableRow in
            TableRow(id: "\(e.id)", cells: [
                [Span(Format.clock(e.time, zone: state.timeZone), .muted)],
                [Span(e.kind.rawValue, .text)],
                [Span(TextWidth.sanitized(e.text, ascii: state.glyphs.isASCII), role(e.severity))],
            ])
        }
        let columns = [
            TableColumn("Time", width: 8, priority: 90),
            TableColumn("Kind", width: 10, priority: 80),
            TableColumn("Event", width: 40, flex: 1, priority: 100),
        ]
        return TableModel(columns: columns, rows: rows,
                          emptyMessage: filter.isEmpty ? "No events yet" : "No event matches the filter")
    }

    public static func draw(_ state: AppState, into grid: inout CellGrid, rect: Rect) {
        Selection.drawTable(table(state), page: .events, state: state, into: &grid, rect: rect)
    }

    static func role(_ s: ClusterEvent.Severity) -> StyleRole {
        switch s {
        case .info: .text
        case .good: .ok
        case .warning: .warn
        case .failure: .error
        }
    }
}
