/// How the produce form's Headers field is written:
///
/// - `name=value` pairs separated by commas: `source=console,trace=1`;
/// - spaces around names and values are dropped (`a = b ` is `a`=`b`);
/// - `name=` is an empty value; `name` alone (no `=`) is a null value (Kafka headers may have
///   either);
/// - a backslash takes the next character as it is: `\,` and `\=` put a comma or an equals sign in
///   a name or value, `\ ` keeps a space at either end, `\\` is a backslash;
/// - empty pairs (`a=1,,b=2`, a trailing comma) are ignored; a pair without a name is refused.
public enum HeaderSyntax {
    /// The short description for the form's hint and the README.
    public static let hint = "name=value,name2=value2 (name= is empty, name alone is null; \\, \\= escape)"

    public static func parse(_ text: String) -> Result<[TailMessage.Header], FormError> {
        typealias Piece = [(character: Character, escaped: Bool)]
        var pairs: [Piece] = [[]]
        var escaping = false
        for c in text {
            if escaping {
                pairs[pairs.count - 1].append((c, true))
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else if c == "," {
                pairs.append([])
            } else {
                pairs[pairs.count - 1].append((c, false))
            }
        }
        if escaping { return .failure(FormError("A header ends with a lone \\ (write \\\\ for a backslash)")) }

        func trimmed(_ piece: Piece.SubSequence) -> String {
            var p = piece
            while let first = p.first, first.character == " ", !first.escaped { p = p.dropFirst() }
            while let last = p.last, last.character == " ", !last.escaped { p = p.dropLast() }
            return String(p.map(\.character))
        }
        var headers: [TailMessage.Header] = []
        for (n, pair) in pairs.enumerated() where pair.contains(where: { $0.character != " " || $0.escaped }) {
            let equals = pair.firstIndex { $0.character == "=" && !$0.escaped }
            let name = trimmed(pair[..<(equals ?? pair.endIndex)])
            guard !name.isEmpty else {
                return .failure(FormError("Header \(n + 1) has no name: write name=value (\\, and \\= escape a comma or '=')"))
            }
            let value = equals.map { trimmed(pair[pair.index(after: $0)...]) }
            headers.append(TailMessage.Header(key: name, value: value.map { Array($0.utf8) }))
        }
        return .success(headers)
    }
}
