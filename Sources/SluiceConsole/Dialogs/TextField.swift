/// A one-line text input: typing, cursor movement, deletion. Pure.
public struct TextField: Equatable, Sendable {
    public var text: String
    /// Cursor position, in characters.
    public var cursor: Int
    /// Longest text accepted, in characters.
    public var limit: Int

    public init(_ text: String = "", limit: Int = 1000) {
        self.text = text
        self.cursor = text.count
        self.limit = limit
    }

    /// Applies an editing key; returns false for keys a text field does not handle.
    public mutating func handle(_ key: Key) -> Bool {
        switch key {
        case .char(let c):
            guard text.count < limit, !(c.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false) else { return true }
            text.insert(c, at: index(cursor))
            cursor += 1
        case .backspace:
            if cursor > 0 {
                text.remove(at: index(cursor - 1))
                cursor -= 1
            }
        case .delete:
            if cursor < text.count { text.remove(at: index(cursor)) }
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(text.count, cursor + 1)
        case .home, .ctrl("a"): cursor = 0
        case .end, .ctrl("e"): cursor = text.count
        case .ctrl("u"):
            text.removeSubrange(text.startIndex..<index(cursor))
            cursor = 0
        case .ctrl("w"):
            var start = cursor
            let chars = Array(text)
            while start > 0 && chars[start - 1] == " " { start -= 1 }
            while start > 0 && chars[start - 1] != " " { start -= 1 }
            text.removeSubrange(index(start)..<index(cursor))
            cursor = start
        default:
            return false
        }
        return true
    }

    /// The field drawn in `width` columns with the cursor shown as a highlighted cell; scrolls so
    /// the cursor stays visible.
    public func spans(width: Int, role: StyleRole, cursorRole: StyleRole, showCursor: Bool) -> [Span] {
        guard width > 0 else { return [] }
        let chars = Array(text)
        let start = max(0, cursor - (width - 1))
        var visible = String(chars[start..<min(chars.count, start + width)])
        if !showCursor {
            return [Span(TextWidth.padded(TextWidth.sanitized(visible), to: width), role)]
        }
        let at = cursor - start
        if at >= visible.count { visible += " " }
        let v = Array(visible)
        let before = String(v[..<at]), under = String(v[at]), after = String(v[(at + 1)...])
        let rest = max(0, width - TextWidth.columns(of: visible))
        return [
            Span(TextWidth.sanitized(before), role), Span(TextWidth.sanitized(under), cursorRole),
            Span(TextWidth.sanitized(after) + String(repeating: " ", count: rest), role),
        ]
    }

    private func index(_ n: Int) -> String.Index { text.index(text.startIndex, offsetBy: n) }
}
