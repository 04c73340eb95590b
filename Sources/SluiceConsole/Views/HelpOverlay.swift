/// The `?` overlay: every key that works on the current page, from the key table, then the `:`
/// commands — each with its whole description (wrapped, never cut), in one column that scrolls
/// (↑/↓, PgUp/PgDn, g/G) when the screen is short.
public enum HelpOverlay {
    /// The box's width on a screen `width` columns wide, and its inner (text) width.
    static func widths(_ width: Int) -> (box: Int, inner: Int) {
        let box = min(width - 4, 110)
        return (box, box - 4)
    }

    /// Text lines the box shows at once on a screen `height` rows high.
    static func visibleLines(height: Int) -> Int { max(1, height - 2 - 4) }

    /// Every line of the help at `width` columns of text.
    public static func lines(_ state: AppState, width inner: Int) -> [[Span]] {
        let bindings = KeyTable.active(scopes: state.page.scopes, embedded: state.mode.isEmbedded)
        let keyWidth = min(12, bindings.map { TextWidth.columns(of: $0.keyLabel) }.max() ?? 0) + 1
        let helpWidth = max(10, inner - keyWidth)
        var out: [[Span]] = []
        for b in bindings {
            let wrapped = TextWidth.wordWrap(b.help + (b.dangerous ? " (asks first)" : ""), width: helpWidth)
            for (n, text) in wrapped.enumerated() {
                let key = n == 0 ? Span(TextWidth.padded(b.keyLabel, to: keyWidth), b.dangerous ? .error : .accent)
                    : Span(String(repeating: " ", count: keyWidth), .dialog)
                out.append([key, Span(text, .dialog)])
            }
        }
        out.append([])
        out.append([Span("Commands at the : prompt", .dialogBorder)])
        for (usage, what) in Commands.help {
            out.append([Span(":" + usage, .accent)])
            out += TextWidth.wordWrap(what, width: inner - 4).map { [Span("    " + $0, .dialog)] }
        }
        if !state.mode.isEmbedded {
            out.append([])
            out.append([Span("This console watches a remote cluster: kill, restart and add are unavailable.", .muted)])
        }
        return out
    }

    /// The furthest the help can scroll on this screen.
    public static func maxScroll(_ state: AppState) -> Int {
        max(0, lines(state, width: widths(state.width).inner).count - visibleLines(height: state.height))
    }

    public static func draw(_ state: AppState, into grid: inout CellGrid) {
        let (width, inner) = widths(grid.width)
        let all = lines(state, width: inner)
        let visible = visibleLines(height: grid.height)
        let top = min(max(0, state.helpScroll), max(0, all.count - visible))
        var footer = "? or Esc closes"
        if all.count > visible {
            footer = "↑↓ scroll \(top + 1)-\(min(all.count, top + visible))/\(all.count) · " + footer
            if state.glyphs.isASCII { footer = footer.replacingOccurrences(of: "↑↓", with: "j/k").replacingOccurrences(of: "·", with: "-") }
        }
        DialogBox.draw(title: "Keys: \(pageName(state.page))", lines: Array(all.dropFirst(top).prefix(visible)), footer: footer,
                       width: width, into: &grid, glyphs: state.glyphs)
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
