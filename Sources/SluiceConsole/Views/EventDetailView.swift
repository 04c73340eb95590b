/// One event in full (Enter on Events): when, what kind, how serious, the whole text wrapped, and
/// what the one-line text left out (every partition of a long list).
public enum EventDetailView {
    static func event(_ state: AppState, id: Int) -> ClusterEvent? { state.events.first { $0.id == id } }

    /// All lines of the page; the view scrolls through them.
    public static func lines(_ state: AppState, id: Int, width: Int) -> [[Span]] {
        guard let e = event(state, id: id) else {
            return [[Span("The event is no longer in the timeline (Esc goes back).", .muted)]]
        }
        let ascii = state.glyphs.isASCII
        let wrapWidth = max(10, width - 2)
        func field(_ name: String, _ value: String, _ role: StyleRole = .text) -> [Span] {
            [Span(TextWidth.padded(name, to: 9), .columnHeader), Span(" " + value, role)]
        }
        var out: [[Span]] = [
            field("Time", Format.timestamp(millis: Int64(e.time * 1000), zone: state.timeZone)),
            field("Kind", e.kind.rawValue),
            field("Severity", "\(e.severity)", EventsView.role(e.severity)),
            [],
        ]
        for text in [e.text] + (e.detail.map { [$0] } ?? []) {
            out += TextWidth.wordWrap(TextWidth.sanitized(text, ascii: ascii), width: wrapWidth)
                .map { [Span($0, EventsView.role(e.severity))] }
            out.append([])
        }
        return out
    }

    public static func draw(_ state: AppState, id: Int, into grid: inout CellGrid, rect: Rect) {
        grid.fill(rect, role: .text)
        let all = lines(state, id: id, width: rect.width)
        let top = min(state.position(.eventDetail(id)).scrollTop, max(0, all.count - rect.height))
        for (n, line) in all.dropFirst(top).prefix(rect.height).enumerated() {
            grid.put(line, x: rect.x + 1, y: rect.y + n, maxWidth: rect.width - 2)
        }
        if all.count > rect.height { grid.ruler = "\(min(all.count, top + rect.height))/\(all.count)" }
    }
}
