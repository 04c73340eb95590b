/// One screen cell: the character shown and the role that styles it. A wide character occupies its
/// cell and the next one, which holds a continuation cell (drawn by nobody).
public struct Cell: Equatable, Sendable {
    public var character: Character
    public var role: StyleRole
    /// The right half of a wide character to the left.
    public var isContinuation: Bool

    public init(_ character: Character, _ role: StyleRole, isContinuation: Bool = false) {
        self.character = character
        self.role = role
        self.isContinuation = isContinuation
    }

    /// What an unpainted grid holds, so that tests can find cells no view painted.
    public static let unpainted = Cell("¤", .unpainted)
}

/// A rectangle of cells, in columns and rows from the top-left corner.
public struct Rect: Equatable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    /// A rectangle of `width` × `height` centred in this one (clipped to it).
    public func centered(width w: Int, height h: Int) -> Rect {
        let cw = min(w, width)
        let ch = min(h, height)
        return Rect(x: x + (width - cw) / 2, y: y + (height - ch) / 2, width: cw, height: ch)
    }
}

/// The in-memory screen every view renders into. The ncurses backend draws the cells that differ
/// from the previous frame; tests compare grids with stored snapshots.
public struct CellGrid: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Where a scrolled list or page is ("34/59": the last row shown of how many), left by the
    /// body for the status line to show, so it never covers a column title.
    public var ruler: String?

    public init(width: Int, height: Int, fill: Cell = .unpainted) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.cells = Array(repeating: fill, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Fills a rectangle (clipped to the grid) with spaces of one role.
    public mutating func fill(_ rect: Rect, role: StyleRole, character: Character = " ") {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        let y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            for x in x0..<x1 { self[x, y] = Cell(character, role) }
        }
    }

    /// Writes `text` at (x, y), clipped to `maxWidth` columns and to the grid; returns the columns
    /// written. Control characters must already be sanitized. A wide character that would straddle
    /// the limit is replaced by a space.
    @discardableResult
    public mutating func put(_ text: some StringProtocol, x: Int, y: Int, role: StyleRole, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width, x + (maxWidth ?? width))
        var col = x
        for character in text {
            let w = TextWidth.columns(of: character)
            if w == 0 { continue }
            if col + w > limit {
                if col < limit && col >= 0 { self[col, y] = Cell(" ", role) ; col += 1 }
                break
            }
            if col >= 0 {
                clearWideNeighbours(x: col, y: y, width: w)
                self[col, y] = Cell(character, role)
                if w == 2 { self[col + 1, y] = Cell(" ", role, isContinuation: true) }
            }
            col += w
        }
        return max(0, col - x)
    }

    /// Writes styled spans one after another; returns the columns written.
    @discardableResult
    public mutating func put(_ spans: [Span], x: Int, y: Int, maxWidth: Int) -> Int {
        var used = 0
        for span in spans where used < maxWidth {
            used += put(span.text, x: x + used, y: y, role: span.role, maxWidth: maxWidth - used)
        }
        return used
    }

    /// The text of one row (continuation cells omitted), for tests and screen captures.
    public func line(_ y: Int) -> String {
        var out = ""
        for x in 0..<width where !self[x, y].isContinuation { out.append(self[x, y].character) }
        return out
    }

    /// Whether any cell still holds the unpainted marker.
    public var hasUnpaintedCells: Bool { cells.contains { $0.role == .unpainted } }

    /// Overwriting half of a wide character leaves the other half dangling; blank it.
    private mutating func clearWideNeighbours(x: Int, y: Int, width w: Int) {
        if self[x, y].isContinuation, x > 0 { self[x - 1, y] = Cell(" ", self[x - 1, y].role) }
        let end = x + w - 1
        if end + 1 < self.width, self[end + 1, y].isContinuation { self[end + 1, y] = Cell(" ", self[end + 1, y].role) }
    }
}

/// A run of text in one role.
public struct Span: Equatable, Sendable {
    public var text: String
    public var role: StyleRole

    public init(_ text: String, _ role: StyleRole) {
        self.text = text
        self.role = role
    }

    /// Total columns of a list of spans.
    public static func columns(_ spans: [Span]) -> Int { spans.reduce(0) { $0 + TextWidth.columns(of: $1.text) } }
}
