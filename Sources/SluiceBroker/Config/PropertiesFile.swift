/// Parses Java `.properties` text, the format of Kafka's `server.properties`.
///
/// Supports `key=value`, `key: value` and `key value`, `#`/`!` comments, backslash line
/// continuations and the common escapes (`\t`, `\n`, `\\`, `\=`, `\:`). Later keys win.
public enum PropertiesFile {
    public static func parse(_ text: String) -> [(key: String, value: String)] {
        var entries: [(key: String, value: String)] = []
        var logical = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if logical.isEmpty {
                line = line.drop(while: { $0 == " " || $0 == "\t" })
                if line.isEmpty || line.first == "#" || line.first == "!" { continue }
            } else {
                line = line.drop(while: { $0 == " " || $0 == "\t" })
            }
            if endsWithContinuation(line) {
                logical += line.dropLast()
                continue
            }
            logical += line
            if let entry = split(logical) { entries.append(entry) }
            logical = ""
        }
        if !logical.isEmpty, let entry = split(logical) { entries.append(entry) }
        return entries
    }

    /// An odd number of trailing backslashes continues the line.
    private static func endsWithContinuation(_ line: Substring) -> Bool {
        var count = 0
        for c in line.reversed() {
            guard c == "\\" else { break }
            count += 1
        }
        return count % 2 == 1
    }

    private static func split(_ line: String) -> (key: String, value: String)? {
        var key = ""
        var index = line.startIndex
        var escaped = false
        while index < line.endIndex {
            let c = line[index]
            if escaped {
                key.append(unescape(c))
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "=" || c == ":" || c == " " || c == "\t" {
                break
            } else {
                key.append(c)
            }
            index = line.index(after: index)
        }
        // Skip whitespace, at most one separator, whitespace.
        var rest = line[index...].drop(while: { $0 == " " || $0 == "\t" })
        if rest.first == "=" || rest.first == ":" { rest = rest.dropFirst() }
        rest = rest.drop(while: { $0 == " " || $0 == "\t" })
        var value = ""
        escaped = false
        for c in rest {
            if escaped {
                value.append(unescape(c))
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                value.append(c)
            }
        }
        return key.isEmpty ? nil : (key, value)
    }

    private static func unescape(_ c: Character) -> Character {
        switch c {
        case "t": return "\t"
        case "n": return "\n"
        case "r": return "\r"
        case "f": return "\u{0C}"
        default: return c
        }
    }
}
