/// One login module of a `sasl.jaas.config` value, as Kafka's `JaasConfig` parses it:
///
///     org.apache.kafka.common.security.plain.PlainLoginModule required
///         username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";
///
/// The module class, its control flag (`required`, `requisite`, `sufficient`, `optional`) and its
/// options (`name=value`, the value quoted or a plain word). Exactly one module is allowed, as in
/// Kafka's `sasl.jaas.config`.
public struct JaasConfig: Sendable, Equatable {
    public var loginModule: String
    public var controlFlag: String
    public var options: [String: String]

    public static let plainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
    public static let scramLoginModule = "org.apache.kafka.common.security.scram.ScramLoginModule"

    public init(loginModule: String, controlFlag: String = "required", options: [String: String] = [:]) {
        self.loginModule = loginModule
        self.controlFlag = controlFlag
        self.options = options
    }

    /// Parses a value; the error says what is wrong, never echoing the secrets.
    public init(parsing text: String) throws {
        var tokens = try JaasTokenizer.tokens(text)
        guard !tokens.isEmpty else { throw JaasConfigError("the JAAS configuration is empty") }
        guard case .word(let module) = tokens.removeFirst() else {
            throw JaasConfigError("a JAAS configuration starts with a login module class name")
        }
        guard !tokens.isEmpty, case .word(let flag) = tokens.removeFirst(),
              ["required", "requisite", "sufficient", "optional"].contains(flag.lowercased()) else {
            throw JaasConfigError("the login module \(module) needs a control flag (required, requisite, sufficient or optional)")
        }
        var options: [String: String] = [:]
        while let token = tokens.first {
            tokens.removeFirst()
            switch token {
            case .semicolon:
                guard tokens.isEmpty else {
                    throw JaasConfigError("sasl.jaas.config takes one login module; found more after the first ';'")
                }
                loginModule = module
                controlFlag = flag.lowercased()
                self.options = options
                return
            case .word(let name):
                guard tokens.count >= 2, tokens[0] == .equals else {
                    throw JaasConfigError("option '\(name)' of \(module) has no value (expected name=\"value\")")
                }
                tokens.removeFirst()
                switch tokens.removeFirst() {
                case .word(let value), .quoted(let value): options[name] = value
                default: throw JaasConfigError("option '\(name)' of \(module) has no value (expected name=\"value\")")
                }
            default:
                throw JaasConfigError("unexpected text in the options of \(module) (expected name=\"value\" pairs)")
            }
        }
        throw JaasConfigError("the JAAS configuration of \(module) does not end with ';'")
    }

    /// The users a PLAIN server accepts: `user_<name>="<password>"` options.
    public var plainUsers: [String: String] {
        var users: [String: String] = [:]
        for (key, value) in options where key.hasPrefix("user_") && key.count > 5 {
            users[String(key.dropFirst(5))] = value
        }
        return users
    }

    /// `username` and `password`: what this side sends as a client.
    public var clientCredentials: (username: String, password: String)? {
        guard let username = options["username"], let password = options["password"] else { return nil }
        return (username, password)
    }
}

public struct JaasConfigError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

private enum JaasToken: Equatable {
    case word(String), quoted(String), equals, semicolon
}

private enum JaasTokenizer {
    static func tokens(_ text: String) throws -> [JaasToken] {
        var tokens: [JaasToken] = []
        var chars = Array(text)[...]
        while let char = chars.first {
            if char.isWhitespace {
                chars.removeFirst()
            } else if char == "=" {
                tokens.append(.equals)
                chars.removeFirst()
            } else if char == ";" {
                tokens.append(.semicolon)
                chars.removeFirst()
            } else if char == "\"" || char == "'" {
                chars.removeFirst()
                var value = ""
                var closed = false
                while let next = chars.first {
                    chars.removeFirst()
                    if next == char {
                        closed = true
                        break
                    }
                    if next == "\\", let escaped = chars.first {
                        chars.removeFirst()
                        value.append(escaped)
                    } else {
                        value.append(next)
                    }
                }
                guard closed else { throw JaasConfigError("a quoted value in the JAAS configuration is not closed") }
                tokens.append(.quoted(value))
            } else {
                var word = ""
                while let next = chars.first, !next.isWhitespace, next != "=", next != ";", next != "\"", next != "'" {
                    word.append(next)
                    chars.removeFirst()
                }
                tokens.append(.word(word))
            }
        }
        return tokens
    }
}
