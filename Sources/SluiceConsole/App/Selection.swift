/// Resolves a remembered list position against the rows a list has now.
public enum Selection {
    /// The position with its index on the row whose id is remembered (or, when that row is gone, the
    /// row now at the remembered index, clamped), its id updated to that row, and a scroll position
    /// that keeps it visible. nil when the list is empty.
    public static func resolve(_ p: ListPosition, ids: [String], visible: Int) -> ListPosition? {
        guard !ids.isEmpty else { return nil }
        var q = p
        if let id = p.selectedID, let i = ids.firstIndex(of: id) {
            q.selectedIndex = i
        } else {
            q.selectedIndex = min(max(0, p.selectedIndex), ids.count - 1)
        }
        q.selectedID = ids[q.selectedIndex]
        q.scrollTop = TableRenderer.scroll(selected: q.selectedIndex, scrollTop: p.scrollTop, visible: visible, count: ids.count)
        return q
    }

    /// Draws a page's table with its resolved selection.
    static func drawTable(_ model: TableModel, page: Page, state: AppState, into grid: inout CellGrid, rect: Rect) {
        let position = resolve(state.position(page), ids: model.rows.map(\.id), visible: max(0, rect.height - 1))
        TableRenderer.draw(model, into: &grid, rect: rect, selected: position?.selectedIndex,
                           scrollTop: position?.scrollTop ?? 0, glyphs: state.glyphs)
    }
}
