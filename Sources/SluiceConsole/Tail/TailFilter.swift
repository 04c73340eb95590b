/// The Tail view's filter: `[key:|value:|headers:][re:]TEXT`. Without a scope prefix it matches
/// key, value or headers; without `re:` it is a case-insensitive substring, with it a regular
/// expression.
public struct TailFilter: Sendable {
    public enum Scope: String, Sendable, Equatable { case any, key, value, headers }

    public let source: String
    public let scope: Scope
    private let matcher: Matcher

    private enum Matcher: @unchecked Sendable {
        // Regex is not Sendable; this one is built once and only read (Regex matching is re-entrant).
        case substring(String)
        case regex(Regex<AnyRegexOutput>)
    }

    /// Parses a filter; throws a readable message for an invalid regular expression.
    public init(_ text: String) throws(FilterError) {
        source = text
        var rest = Substring(text)
        var scope = Scope.any
        for s in [Scope.key, .value, .headers] where rest.hasPrefix(s.rawValue + ":") {
            scope = s
            rest = rest.dropFirst(s.rawValue.count + 1)
        }
        self.scope = scope
        if rest.hasPrefix("re:") {
            do {
                matcher = .regex(try Regex(String(rest.dropFirst(3))))
            } catch {
                throw FilterError(message: "invalid regular expression: \(error)")
            }
        } else {
            matcher = .substring(rest.lowercased())
        }
    }

    public func matches(_ message: TailMessage) -> Bool {
        switch scope {
        case .key: return test(TailMessage.preview(message.key))
        case .value: return test(TailMessage.preview(message.value))
        case .headers: return test(message.headersPreview)
        case .any:
            return test(TailMessage.preview(message.key)) || test(TailMessage.preview(message.value))
                || test(message.headersPreview)
        }
    }

    private func test(_ text: String) -> Bool {
        switch matcher {
        case .substring(let needle): needle.isEmpty || text.lowercased().contains(needle)
        case .regex(let regex): (try? regex.firstMatch(in: text)) != nil
        }
    }
}

public struct FilterError: Error, Equatable, Sendable {
    public var message: String
}
