import Foundation

/// `ssl.principal.mapping.rules`, parsed and applied as Kafka's `SslPrincipalMapper`: a list of
/// `RULE:pattern/replacement/[L|U]` and `DEFAULT`, tried in order on the certificate's RFC 2253
/// subject; the first rule whose pattern matches the whole subject gives the principal name
/// (`$1` refers to groups, `L`/`U` lower- or upper-case the result); `DEFAULT` keeps the subject.
/// No match fails the authentication, as in Kafka.
///
///     let mapper = try SslPrincipalMapper(rules: "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L,DEFAULT")
///     try mapper.name(for: "CN=Kafka-Broker,OU=ServiceUsers,O=Acme")   // "kafka-broker"
public struct SslPrincipalMapper: Sendable {
    private let rules: [Rule]
    public let text: String

    private struct Rule: @unchecked Sendable {
        // NSRegularExpression is immutable and documented thread-safe; the struct never mutates it.
        var regex: NSRegularExpression?
        var replacement: String
        var caseChange: Character?
    }

    public init(rules text: String) throws {
        self.text = text
        var rules: [Rule] = []
        var rest = Substring(text).drop { $0.isWhitespace }
        while !rest.isEmpty {
            if rest.hasPrefix("DEFAULT") {
                rules.append(Rule(regex: nil, replacement: "", caseChange: nil))
                rest = rest.dropFirst("DEFAULT".count)
            } else if rest.hasPrefix("RULE:") {
                rest = rest.dropFirst(5)
                let pattern = try Self.segment(&rest, text: text)
                let replacement = try Self.segment(&rest, text: text)
                var caseChange: Character?
                if let flag = rest.first, flag == "L" || flag == "U" {
                    caseChange = flag
                    rest = rest.dropFirst()
                }
                let regex: NSRegularExpression
                do {
                    regex = try NSRegularExpression(pattern: pattern)
                } catch {
                    throw SecurityConfigError("invalid value for ssl.principal.mapping.rules: '\(pattern)' is not a regular expression")
                }
                rules.append(Rule(regex: regex, replacement: replacement, caseChange: caseChange))
            } else {
                throw SecurityConfigError("invalid value for ssl.principal.mapping.rules: '\(text)' (expected DEFAULT or RULE:pattern/replacement/[LU], comma-separated)")
            }
            rest = rest.drop { $0.isWhitespace }
            if rest.first == "," {
                rest = rest.dropFirst().drop { $0.isWhitespace }
            } else if !rest.isEmpty {
                throw SecurityConfigError("invalid value for ssl.principal.mapping.rules: '\(text)' (rules are separated by commas)")
            }
        }
        if rules.isEmpty { rules = [Rule(regex: nil, replacement: "", caseChange: nil)] }
        self.rules = rules
    }

    /// Reads up to the next unescaped `/` (Kafka's `(\\.|[^\\/])*`), keeping escapes as written.
    private static func segment(_ rest: inout Substring, text: String) throws -> String {
        var out = ""
        while let char = rest.first {
            rest = rest.dropFirst()
            if char == "\\", let next = rest.first {
                out.append(char)
                out.append(next)
                rest = rest.dropFirst()
            } else if char == "/" {
                return out
            } else {
                out.append(char)
            }
        }
        throw SecurityConfigError("invalid value for ssl.principal.mapping.rules: '\(text)' (a RULE needs pattern/replacement/)")
    }

    public static let `default` = try! SslPrincipalMapper(rules: "DEFAULT")

    /// The principal name for `distinguishedName`; throws when no rule applies.
    public func name(for distinguishedName: String) throws -> String {
        for rule in rules {
            guard let regex = rule.regex else { return distinguishedName }
            let range = NSRange(distinguishedName.startIndex..., in: distinguishedName)
            guard let match = regex.firstMatch(in: distinguishedName, range: range), match.range == range else { continue }
            var result = regex.stringByReplacingMatches(in: distinguishedName, range: range, withTemplate: rule.replacement)
            if rule.caseChange == "L" { result = result.lowercased() }
            if rule.caseChange == "U" { result = result.uppercased() }
            return result
        }
        throw SecurityConfigError("no ssl.principal.mapping.rules apply to \(distinguishedName) (rules: \(text))")
    }
}

/// A security setting that cannot be used; the message names the key.
public struct SecurityConfigError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
