/// A column of a table view.
public struct TableColumn: Equatable, Sendable {
    public var title: String
    /// Columns it needs at least.
    public var width: Int
    /// Share of the spare width it takes (0: fixed width).
    public var flex: Int
    public var alignRight: Bool
    /// When the screen is too narrow, columns with the lowest priority are dropped first.
    public var priority: Int

    public init(_ title: String, width: Int, flex: Int = 0, right: Bool = false, priority: Int = 50) {
        self.title = title
        self.width = width
        self.flex = flex
        self.alignRight = right
        self.priority = priority
    }
}

/// A row: its identity (for the selection), its cells, and the text the `/` filter searches.
public struct TableRow: Equatable, Sendable {
    public var id: String
    public var cells: [[Span]]

    public init(id: String, cells: [[Span]]) {
        self.id = id
        self.cells = cells
    }
}

/// What a list view renders: columns, rows (already filtered and sorted) and what to say when empty.
public struct TableModel: Equatable, Sendable {
    public var columns: [TableColumn]
    public var rows: [TableRow]
    public var emptyMessage: String
    /// When `rows` is a window of a longer list (the tail builds only what is visible): the index
    /// of its first row in the list, and the list's length.
    public var firstRowIndex: Int
    public var totalRows: Int?

    public init(columns: [TableColumn], rows: [TableRow], emptyMessage: String, firstRowIndex: Int = 0, totalRows: Int? = nil) {
        self.columns = columns
        self.rows = rows
        self.emptyMessage = emptyMessage
        self.firstRowIndex = firstRowIndex
        self.totalRows = totalRows
    }

    /// Rows in the whole list.
    public var count: Int { totalRows ?? rows.count }
}

/// Lays out and draws a `TableModel` into a rectangle: a header line, then the visible rows with the
/// selected one highlighted.
public enum TableRenderer {
    /// The widths of the columns that fit in `width` (dropped columns get nil), one space between columns.
    public static func layout(_ columns: [TableColumn], width: Int) -> [Int?] {
        var shown = Array(columns.indices)
        func needed(_ ids: [Int]) -> Int { ids.reduce(0) { $0 + columns[$1].width } + max(0, ids.count - 1) + 1 }
        while needed(shown) > width, shown.count > 1 {
            // Drop the lowest-priority column (the rightmost among equals).
            let victim = shown.enumerated().min { a, b in
                columns[a.element].priority != columns[b.element].priority
                    ? columns[a.element].priority < columns[b.element].priority : a.offset > b.offset
            }!
            shown.remove(at: victim.offset)
        }
        var widths: [Int?] = Array(repeating: nil, count: columns.count)
        for i in shown { widths[i] = columns[i].width }
        var spare = width - needed(shown)
        let flexTotal = shown.reduce(0) { $0 + columns[$1].flex }
        if spare > 0 && flexTotal > 0 {
            let share = spare
            for i in shown where columns[i].flex > 0 {
                let extra = share * columns[i].flex / flexTotal
                widths[i]! += extra
                spare -= extra
            }
            if let last = shown.last(where: { columns[$0].flex > 0 }) { widths[last]! += spare }
        }
        return widths
    }

    /// Draws the table; `selected` is the index of the selected row in the list, `scrollTop` the
    /// index of the first visible one.
    public static func draw(
        _ model: TableModel, into grid: inout CellGrid, rect: Rect, selected: Int?, scrollTop: Int, glyphs: Glyphs
    ) {
        grid.fill(rect, role: .text)
        guard rect.height > 0 else { return }
        let widths = layout(model.columns, width: rect.width)
        // Header line.
        grid.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), role: .columnHeader)
        var x = rect.x + 1
        for (i, column) in model.columns.enumerated() {
            guard let w = widths[i] else { continue }
            let title = TextWidth.padded(column.title, to: w, alignRight: column.alignRight)
            grid.put(title, x: x, y: rect.y, role: .columnHeader, maxWidth: w)
            x += w + 1
        }
        let bodyTop = rect.y + 1
        let visible = rect.height - 1
        if model.count == 0 {
            if visible > 0 {
                grid.put(TextWidth.truncated(model.emptyMessage, to: rect.width - 2), x: rect.x + 1, y: bodyTop + min(1, visible - 1),
                         role: .muted)
            }
            return
        }
        for line in 0..<max(0, visible) {
            let index = scrollTop + line
            let local = index - model.firstRowIndex
            guard local >= 0, local < model.rows.count else { break }
            let row = model.rows[local]
            let y = bodyTop + line
            let isSelected = index == selected
            if isSelected { grid.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), role: .selection) }
            var cx = rect.x + 1
            for (i, _) in model.columns.enumerated() {
                guard let w = widths[i] else { continue }
                let spans = i < row.cells.count ? row.cells[i] : []
                let drawn = isSelected ? spans.map { Span($0.text, .selection) } : spans
                let used = Span.columns(drawn)
                let start = model.columns[i].alignRight ? cx + max(0, w - used) : cx
                if used > w {
                    // Too long: cut the joined text and keep the first span's role.
                    let text = TextWidth.truncated(drawn.map(\.text).joined(), to: w, ascii: glyphs.isASCII)
                    grid.put(text, x: cx, y: y, role: drawn.first?.role ?? .text, maxWidth: w)
                } else {
                    grid.put(drawn, x: start, y: y, maxWidth: w)
                }
                cx += w + 1
            }
        }
        // Where the list is when rows are hidden below or above (shown by the status line).
        if model.count > visible, visible > 0 { grid.ruler = "\(min(model.count, scrollTop + visible))/\(model.count)" }
    }

    /// The scroll position that keeps `selected` visible, moving as little as possible from `scrollTop`.
    public static func scroll(selected: Int, scrollTop: Int, visible: Int, count: Int) -> Int {
        guard visible > 0, count > 0 else { return 0 }
        var top = scrollTop
        if selected < top { top = selected }
        if selected >= top + visible { top = selected - visible + 1 }
        return max(0, min(top, max(0, count - visible)))
    }
}
