/// A one-line prompt on the status line: a filter, a command, or a seek target.
public struct Prompt: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// Filters the list as you type; Esc restores `previous`.
        case filter(ListKind, previous: String)
        case command
        case seekOffset
        case seekTimestamp
    }

    public var kind: Kind
    public var field: TextField
    public var error: String?

    public init(_ kind: Kind, text: String = "") {
        self.kind = kind
        self.field = TextField(text, limit: 500)
    }

    public var label: String {
        switch kind {
        case .filter: "/"
        case .command: ":"
        case .seekOffset: "seek to offset: "
        case .seekTimestamp: "seek to time (2024-05-01T12:00:00, -5m, epoch ms): "
        }
    }

    func draw(into grid: inout CellGrid, rect: Rect) {
        grid.fill(rect, role: .status)
        let used = grid.put(label, x: rect.x, y: rect.y, role: .accent)
        var room = rect.width - used
        if let error {
            let e = "  " + error
            let w = min(TextWidth.columns(of: e), max(0, room - 10))
            grid.put(e, x: rect.maxX - w, y: rect.y, role: .statusError, maxWidth: w)
            room -= w
        }
        grid.put(field.spans(width: max(1, room), role: .status, cursorRole: .selection, showCursor: true),
                 x: rect.x + used, y: rect.y, maxWidth: room)
    }
}
