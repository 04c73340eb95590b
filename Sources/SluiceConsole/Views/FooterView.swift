/// The footer: key hints for the current page, generated from the key table, as many as fit.
public enum FooterView {
    public static func draw(_ state: AppState, into grid: inout CellGrid) {
        let rect = Layout.footer(width: grid.width, height: grid.height)
        grid.fill(rect, role: .footer)
        let hints = self.hints(state)
        guard let last = hints.last else { return }
        func width(_ h: (String, String)) -> Int { TextWidth.columns(of: h.0) + 1 + TextWidth.columns(of: h.1) + 2 }
        // The last hint (quit, or cancel) is always shown; the others while they fit.
        let limit = rect.maxX - width(last)
        var x = rect.x + 1
        for hint in hints.dropLast() where x + width(hint) <= limit {
            x += grid.put(hint.0, x: x, y: rect.y, role: .footerKey)
            x += grid.put(" " + hint.1 + "  ", x: x, y: rect.y, role: .footer)
        }
        x += grid.put(last.0, x: x, y: rect.y, role: .footerKey)
        grid.put(" " + last.1, x: x, y: rect.y, role: .footer, maxWidth: rect.maxX - x)
    }

    /// (key label, hint) pairs in footer order. Dialogs and prompts have their own hints.
    public static func hints(_ state: AppState) -> [(String, String)] {
        if state.dialog != nil { return [("Esc", "cancel")] }
        if let prompt = state.prompt {
            if case .filter = prompt.kind { return [("Enter", "keep filter"), ("Esc", "cancel")] }
            return [("Enter", "run"), ("Esc", "cancel")]
        }
        if state.showHelp { return [("↑↓", "scroll"), ("?", "close help"), ("Esc", "close help")] }
        let active = KeyTable.active(scopes: state.page.scopes, embedded: state.mode.isEmbedded)
        return active.filter { $0.footer != nil }.sorted { $0.footer! < $1.footer! }.map { b in
            // Space says what it does now: a paused tail resumes.
            (b.footerKeyLabel, b.action == .pauseTail && state.tail.paused ? "resume" : b.hint)
        }
    }
}
