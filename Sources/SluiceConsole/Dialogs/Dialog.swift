/// The modal dialog on top of the current page, if any.
public enum Dialog: Equatable, Sendable {
    case newTopic(Form)
    case produce(Form)
    case deleteTopic(DeleteTopicDialog)
    case killBroker(KillBrokerDialog)
    case restartBroker(RestartBrokerDialog)

    var title: String {
        switch self {
        case .newTopic(let f), .produce(let f): f.title
        case .deleteTopic: "Delete topic"
        case .killBroker: "Kill broker"
        case .restartBroker: "Restart broker"
        }
    }

    var footer: String {
        switch self {
        case .newTopic: "Enter create · Tab next field · Esc cancel"
        case .produce: "Enter send · Tab next field · Esc cancel"
        case .deleteTopic, .killBroker, .restartBroker: ""
        }
    }

    func lines(width: Int) -> [[Span]] {
        switch self {
        case .newTopic(let f), .produce(let f): f.lines(width: width)
        case .deleteTopic(let d): d.lines(width: width)
        case .killBroker(let k): k.lines(width: width)
        case .restartBroker(let r): r.lines(width: width)
        }
    }

    /// Draws the dialog centred on the screen.
    func draw(into grid: inout CellGrid, glyphs: Glyphs) {
        let width = min(70, grid.width - 6)
        let inner = width - 4
        let content = lines(width: inner).flatMap { DialogBox.wrap($0, width: inner) }
        DialogBox.draw(title: title, lines: content, footer: footer, width: width, into: &grid, glyphs: glyphs)
    }
}

/// A framed box with a title, centred on the screen.
enum DialogBox {
    static func draw(title: String, lines: [[Span]], footer: String, width: Int, into grid: inout CellGrid, glyphs: Glyphs) {
        let height = min(grid.height - 2, lines.count + 4)
        let rect = grid.bounds.centered(width: width, height: height)
        grid.fill(rect, role: .dialog)
        let h = String(repeating: glyphs.horizontal, count: max(0, rect.width - 2))
        grid.put(String(glyphs.topLeft) + h + String(glyphs.topRight), x: rect.x, y: rect.y, role: .dialogBorder)
        grid.put(String(glyphs.bottomLeft) + h + String(glyphs.bottomRight), x: rect.x, y: rect.maxY - 1, role: .dialogBorder)
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            grid.put(String(glyphs.vertical), x: rect.x, y: y, role: .dialogBorder)
            grid.put(String(glyphs.vertical), x: rect.maxX - 1, y: y, role: .dialogBorder)
        }
        grid.put(" \(title) ", x: rect.x + 2, y: rect.y, role: .dialogBorder, maxWidth: rect.width - 4)
        if !footer.isEmpty {
            let f = " \(footer) "
            let w = min(TextWidth.columns(of: f), rect.width - 4)
            grid.put(f, x: rect.maxX - 2 - w, y: rect.maxY - 1, role: .dialogBorder, maxWidth: w)
        }
        for (n, line) in lines.prefix(max(0, rect.height - 4)).enumerated() {
            grid.put(line, x: rect.x + 2, y: rect.y + 2 + n, maxWidth: rect.width - 4)
        }
    }

    /// Wraps a one-span line longer than `width` at spaces; other lines are returned as they are.
    static func wrap(_ line: [Span], width: Int) -> [[Span]] {
        guard line.count == 1, TextWidth.columns(of: line[0].text) > width, width > 10 else { return [line] }
        var out: [[Span]] = []
        var current = ""
        for word in line[0].text.split(separator: " ", omittingEmptySubsequences: false) {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if TextWidth.columns(of: candidate) > width, !current.isEmpty {
                out.append([Span(current, line[0].role)])
                current = String(word)
            } else {
                current = candidate
            }
        }
        if !current.isEmpty { out.append([Span(current, line[0].role)]) }
        return out
    }
}
