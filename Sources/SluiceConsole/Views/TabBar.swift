/// The tab line: the six views by number, the current one highlighted, and on the right what the
/// current page shows (its scope, filter and sort, or the tail's state).
public enum TabBar {
    public static func draw(_ state: AppState, into grid: inout CellGrid) {
        let rect = Layout.tabs(width: grid.width)
        grid.fill(rect, role: .tab)
        var x = 0
        for view in ViewID.allCases {
            let label = " \(view.rawValue) \(view.title) "
            x += grid.put(label, x: x, y: rect.y, role: view == state.page.view ? .tabActive : .tab)
        }
        let room = rect.width - x - 2
        guard room > 4 else { return }
        let text = TextWidth.truncated(context(state), to: room, ascii: state.glyphs.isASCII)
        grid.put(text, x: rect.maxX - 1 - TextWidth.columns(of: text), y: rect.y, role: .tab)
    }

    static func context(_ state: AppState) -> String {
        var parts: [String] = []
        switch state.page {
        case .partitions(.topic(let t)): parts.append("topic \(t)")
        case .partitions(.broker(let b)): parts.append("broker \(b)")
        case .groupDetail(let g):
            if let group = state.snapshot?.group(g) {
                let members = group.members.count == 1 ? "1 member" : "\(group.members.count) members"
                parts.append("group \(g): \(GroupsView.stateText(group)), \(members)")
            } else {
                parts.append("group \(g) (gone)")
            }
        case .tail: parts.append(TailView.summary(state))
        case .messageDetail(let id): parts.append("message \(id)")
        default: break
        }
        let kind = state.page.listKind
        let filter = state.filter(kind)
        if !filter.isEmpty { parts.append("filter: \(filter)") }
        let names = ListSorts.names(kind)
        if names.count > 1 {
            let order = state.sort(kind)
            let arrow = order.descending ? state.glyphs.arrowDown : state.glyphs.arrowUp
            parts.append("sort: \(names[min(order.column, names.count - 1)]) \(arrow)")
        }
        return parts.joined(separator: "  ")
    }
}
