import Foundation

/// One tailed message in full (Enter on Tail): coordinates, key, headers, and the value as pretty
/// JSON, wrapped text, or a hex dump.
public enum MessageDetailView {
    /// The message a detail page shows, if it is still in the tail buffer.
    static func message(_ state: AppState, id: String) -> TailMessage? { state.tail.messages.first { $0.id == id } }

    /// All lines of the page; the view scrolls through them.
    public static func lines(_ state: AppState, id: String, width: Int) -> [[Span]] {
        guard let m = message(state, id: id) else {
            return [[Span("The message is no longer in the tail buffer (Esc goes back).", .muted)]]
        }
        let ascii = state.glyphs.isASCII
        func field(_ name: String, _ value: String, _ role: StyleRole = .text) -> [Span] {
            [Span(TextWidth.padded(name, to: 11), .columnHeader), Span(" " + TextWidth.sanitized(value, ascii: ascii), role)]
        }
        // Null and empty are said as such, never shown as text that could be a value ("null", "").
        func shown(_ bytes: [UInt8]?) -> [Span] {
            guard let bytes else { return [Span("\(state.glyphs.null) (null)", .muted)] }
            if bytes.isEmpty { return [Span("(empty)", .muted)] }
            return [Span(TextWidth.sanitized(TailMessage.preview(bytes), ascii: ascii), .text)]
        }
        func bytesField(_ name: String, _ bytes: [UInt8]?) -> [Span] {
            [Span(TextWidth.padded(name, to: 11), .columnHeader), Span(" ", .text)] + shown(bytes)
        }
        var out: [[Span]] = [
            field("Topic", state.tail.target?.topic ?? "?"),
            field("Partition", "\(m.partition)"),
            field("Offset", "\(m.offset)"),
            field("Timestamp", Format.timestamp(millis: m.timestamp, zone: state.timeZone) + " (\(m.timestamp))"),
            bytesField("Key", m.key),
        ]
        if m.headers.isEmpty {
            out.append(field("Headers", "none", .muted))
        } else {
            for (n, h) in m.headers.enumerated() {
                out.append([Span(TextWidth.padded(n == 0 ? "Headers" : "", to: 11), .columnHeader),
                            Span(" " + TextWidth.sanitized(h.key, ascii: ascii) + " = ", .text)] + shown(h.value))
            }
        }
        guard let value = m.value else {
            out.append(bytesField("Value", nil))
            return out
        }
        let text = String(validating: value, as: UTF8.self)
        if let text, let pretty = JSONPretty.lines(text) {
            out.append(field("Value", "JSON, \(value.count) bytes"))
            out.append([])
            out += pretty.map { $0.map { Span(TextWidth.sanitized($0.text, ascii: ascii), $0.role) } }
        } else if let text {
            out.append(field("Value", "text, \(value.count) bytes"))
            out.append([])
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                out += wrap(TextWidth.sanitized(line, ascii: ascii), width: max(10, width - 2)).map { [Span($0, .text)] }
            }
        } else {
            out.append(field("Value", "binary, \(value.count) bytes"))
            out.append([])
            out += hexDump(value).map { [Span($0, .text)] }
        }
        return out
    }

    public static func draw(_ state: AppState, id: String, into grid: inout CellGrid, rect: Rect) {
        grid.fill(rect, role: .text)
        let all = lines(state, id: id, width: rect.width)
        let top = min(state.position(.messageDetail(id)).scrollTop, max(0, all.count - rect.height))
        for (n, line) in all.dropFirst(top).prefix(rect.height).enumerated() {
            grid.put(line, x: rect.x + 1, y: rect.y + n, maxWidth: rect.width - 2)
        }
        if all.count > rect.height { grid.ruler = "\(min(all.count, top + rect.height))/\(all.count)" }
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var out: [String] = []
        var line = ""
        var used = 0
        for c in text {
            let w = TextWidth.columns(of: c)
            if used + w > width {
                out.append(line)
                line = ""
                used = 0
            }
            line.append(c)
            used += w
        }
        out.append(line)
        return out
    }

    static func hexDump(_ bytes: [UInt8]) -> [String] {
        stride(from: 0, to: bytes.count, by: 16).map { start in
            let chunk = bytes[start..<min(bytes.count, start + 16)]
            let hex = chunk.map { b -> String in
                let s = String(b, radix: 16)
                return s.count == 1 ? "0" + s : s
            }.joined(separator: " ")
            let text = String(chunk.map { (0x20..<0x7F).contains($0) ? Character(UnicodeScalar($0)) : "." })
            let offset = String(start, radix: 16)
            return String(repeating: "0", count: max(0, 6 - offset.count)) + offset + "  "
                + hex.padding(toLength: 48, withPad: " ", startingAt: 0) + " " + text
        }
    }
}
