/// Pretty-prints JSON into styled lines for the message detail view, keeping the document's key
/// order (Foundation's serializer would sort or shuffle keys). Returns nil for text that is not
/// one complete JSON value, so the caller can show it raw.
public enum JSONPretty {
    public static func lines(_ text: String, indent: Int = 2) -> [[Span]]? {
        var parser = Parser(bytes: Array(text.utf8), indent: indent)
        guard parser.value(depth: 0), parser.atEnd() else { return nil }
        parser.flush()
        return parser.lines
    }

    private struct Parser {
        let bytes: [UInt8]
        let indent: Int
        var i = 0
        var lines: [[Span]] = []
        var current: [Span] = []

        init(bytes: [UInt8], indent: Int) {
            self.bytes = bytes
            self.indent = indent
        }

        mutating func flush() {
            if !current.isEmpty { lines.append(current) }
            current = []
        }

        mutating func newline(depth: Int) {
            flush()
            current = [Span(String(repeating: " ", count: depth * indent), .text)]
        }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func atEnd() -> Bool {
            skipSpace()
            return i == bytes.count
        }

        mutating func value(depth: Int) -> Bool {
            skipSpace()
            guard i < bytes.count, depth < 64 else { return false }
            switch bytes[i] {
            case UInt8(ascii: "{"): return container(depth: depth, open: "{", close: "}", keyed: true)
            case UInt8(ascii: "["): return container(depth: depth, open: "[", close: "]", keyed: false)
            case UInt8(ascii: "\""):
                guard let s = string() else { return false }
                current.append(Span(s, .jsonString))
                return true
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        mutating func container(depth: Int, open: Character, close: Character, keyed: Bool) -> Bool {
            i += 1
            current.append(Span(String(open), .text))
            skipSpace()
            if i < bytes.count, bytes[i] == close.asciiValue! {
                i += 1
                current.append(Span(String(close), .text))
                return true
            }
            while true {
                newline(depth: depth + 1)
                if keyed {
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\""), let key = string() else { return false }
                    current.append(Span(key, .jsonKey))
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return false }
                    i += 1
                    current.append(Span(": ", .text))
                }
                guard value(depth: depth + 1) else { return false }
                skipSpace()
                guard i < bytes.count else { return false }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    current.append(Span(",", .text))
                    continue
                }
                guard bytes[i] == close.asciiValue! else { return false }
                i += 1
                newline(depth: depth)
                current.append(Span(String(close), .text))
                return true
            }
        }

        /// A string token, returned with its quotes and escapes as written (already valid JSON).
        mutating func string() -> String? {
            let start = i
            i += 1
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\\"): i += 2
                case UInt8(ascii: "\""):
                    i += 1
                    return String(decoding: bytes[start..<i], as: UTF8.self)
                case 0..<0x20: return nil
                default: i += 1
                }
            }
            return nil
        }

        mutating func literal(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else { return false }
            i += w.count
            current.append(Span(word, .jsonLiteral))
            return true
        }

        mutating func number() -> Bool {
            let start = i
            while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
            let token = String(decoding: bytes[start..<i], as: UTF8.self)
            guard !token.isEmpty, Double(token) != nil else { return false }
            current.append(Span(token, .jsonNumber))
            return true
        }
    }
}
