/// The `?` overlay: every key that works on the current page, from the key table.
public enum HelpOverlay {
    public static func draw(_ state: AppState, into grid: inout CellGrid) {
        let bindings = KeyTable.active(scopes: state.page.scopes, embedded: state.mode.isEmbedded)
        let width = min(grid.width - 4, 110)
        let inner = width - 4
        let keyWidth = min(12, bindings.map { TextWidth.columns(of: $0.keyLabel) }.max() ?? 0) + 1
        let columns = bindings.count + 4 > grid.height - 4 ? 2 : 1
        let columnWidth = (inner - (columns - 1) * 2) / columns
        let rows = (bindings.count + columns - 1) / columns
        var lines: [[Span]] = Array(repeating: [], count: rows)
        for (n, b) in bindings.enumerated() {
            let row = n % rows, col = n / rows
            let helpWidth = max(4, columnWidth - keyWidth)
            let key = Span(TextWidth.padded(b.keyLabel, to: keyWidth), b.dangerous ? .error : .accent)
            let help = Span(TextWidth.padded(TextWidth.truncated(b.help, to: helpWidth), to: helpWidth), .dialog)
            if col > 0 { lines[row].append(Span("  ", .dialog)) }
            lines[row] += [key, help]
        }
        var footer = "? or Esc closes"
        if !state.mode.isEmbedded { footer = "remote cluster: kill/restart/add are unavailable · " + footer }
        DialogBox.draw(title: "Keys: \(pageName(state.page))", lines: lines, footer: footer, width: width, into: &grid,
                       glyphs: state.glyphs)
    }

    static func pageName(_ page: Page) -> String {
        switch page {
        case .groupDetail: "Group detail"
        case .messageDetail: "Message detail"
        case .eventDetail: "Event detail"
        default: page.view.title
        }
    }
}
