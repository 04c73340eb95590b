/// Prints rows as an aligned table: a header row, columns separated by two spaces, numbers
/// right-aligned. Cells never wrap; the terminal's width is the reader's concern.
struct TablePrinter {
    enum Alignment { case left, right }

    private(set) var headers: [String]
    private var alignments: [Alignment]
    private var rows: [[String]] = []

    init(_ headers: [String], alignments: [Alignment]? = nil) {
        self.headers = headers
        self.alignments = alignments ?? Array(repeating: .left, count: headers.count)
    }

    mutating func add(_ row: [String]) {
        precondition(row.count == headers.count, "a row needs one cell per column")
        rows.append(row)
    }

    var isEmpty: Bool { rows.isEmpty }

    func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var lines: [String] = []
        for row in [headers] + rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                let isLast = i == row.count - 1
                switch alignments[i] {
                case .left: line += cell + (isLast ? "" : pad)
                case .right: line += pad + cell
                }
                if !isLast { line += "  " }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
