/// The tab line: the six views by number, the current one highlighted, and on the right what the
/// current page shows (its scope, filter and sort, or the tail's state) — the most important parts
/// when room is short — and, on Events, how many events arrived below the top while it did not follow.
public enum TabBar {
    public static func draw(_ state: AppState, into grid: inout CellGrid) {
        let rect = Layout.tabs(width: grid.width)
        grid.fill(rect, role: .tab)
        var x = 0
        for view in ViewID.allCases {
            let label = " \(view.rawValue) \(view.title) "
            x += grid.put(label, x: x, y: rect.y, role: view == state.page.view ? .tabActive : .tab)
        }
        var room = rect.width - x - 2
        var right = rect.maxX - 1
        if let marker = newEventsMarker(state), TextWidth.columns(of: marker) + 2 <= room {
            let w = TextWidth.columns(of: marker)
            grid.put(marker, x: right - w, y: rect.y, role: .warn)
            right -= w + 2
            room -= w + 2
        }
        guard room > 4 else { return }
        let fitted = SegmentLine.fit(segments(state), width: room, separator: Span("  ", .tab))
        let text = TextWidth.truncated(fitted.map(\.text).joined(), to: room, ascii: state.glyphs.isASCII)
        grid.put(text, x: right - TextWidth.columns(of: text), y: rect.y, role: .tab)
    }

    /// "3 new ↑" on Events while it does not follow the newest and events arrived.
    static func newEventsMarker(_ state: AppState) -> String? {
        guard state.page == .events, !state.eventsFollow, state.eventsUnseen > 0 else { return nil }
        return " \(state.eventsUnseen) new \(state.glyphs.arrowUp) g "
    }

    /// The page's description, in parts that may be dropped (lowest priority first) when narrow.
    static func segments(_ state: AppState) -> [SegmentLine.Segment] {
        typealias S = SegmentLine.Segment
        func part(_ text: String, _ priority: Int) -> S { S([Span(text, .tab)], priority: priority) }
        var parts: [S] = []
        switch state.page {
        case .partitions(.topic(let t)): parts.append(part("topic \(t)", 100))
        case .partitions(.broker(let b)): parts.append(part("broker \(b)", 100))
        case .groupDetail(let g):
            if let group = state.snapshot?.group(g) {
                let members = group.members.count == 1 ? "1 member" : "\(group.members.count) members"
                parts.append(part("group \(g): \(GroupsView.stateText(group)), \(members)", 100))
            } else {
                parts.append(part("group \(g) (gone)", 100))
            }
        case .tail: parts += TailView.summary(state)
        case .messageDetail(let id): parts.append(part("message \(id)", 100))
        case .eventDetail(let id): parts.append(part("event \(id)", 100))
        default: break
        }
        let kind = state.page.listKind
        let filter = state.filter(kind)
        if !filter.isEmpty { parts.append(part("filter: \(filter)", 95)) }
        let names = ListSorts.names(kind)
        if names.count > 1 {
            let order = state.sort(kind)
            let arrow = order.descending ? state.glyphs.arrowDown : state.glyphs.arrowUp
            parts.append(part("sort: \(names[min(order.column, names.count - 1)]) \(arrow)", 60))
        }
        return parts
    }

    /// The description as one line (for tests and narrow checks).
    static func context(_ state: AppState) -> String { segments(state).map { $0.spans.map(\.text).joined() }.joined(separator: "  ") }
}
