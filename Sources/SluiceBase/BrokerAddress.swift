/// Where a broker listens or can be reached: a host name or IP address and a TCP port.
///
/// The same value is written in two ways, so there are two parsers, named for where the text
/// comes from:
/// - ``init(bootstrapServer:)`` — a client's `bootstrap.servers` entry: `host[:port]` or
///   `[v6addr][:port]`, the port defaulting to Kafka's 9092 (as Kafka's clients do);
/// - ``init(listener:)`` — a broker's `listeners`, `advertised.listeners` or
///   `controller.quorum.voters` entry: `[NAME://]host:port` or `[NAME://][v6addr]:port`, the port
///   required and 0 allowed (bind to any free port).
///
/// ```swift
/// BrokerAddress(bootstrapServer: "kafka-1")                // kafka-1:9092
/// BrokerAddress(listener: "PLAINTEXT://[::1]:19092")       // [::1]:19092
/// ```
public struct BrokerAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// The port a bootstrap server without one is reached on.
    public static let defaultPort = 9092

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses a client's bootstrap server, `host[:port]` or `[v6addr][:port]`; a missing port is
    /// ``defaultPort``. Nil when malformed: an empty host, a port outside 1...65535, or an IPv6
    /// address without brackets.
    public init?(bootstrapServer text: String) {
        let text = Self.trimmed(text)
        guard !text.isEmpty else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                self.init(host: host, port: Self.defaultPort)
                return
            }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return nil }
            self.init(host: host, port: port)
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty else { return nil }
        if parts.count == 2 {
            guard let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
            self.init(host: String(parts[0]), port: port)
        } else {
            self.init(host: String(parts[0]), port: Self.defaultPort)
        }
    }

    /// Parses a broker listener, `[NAME://]host:port` or `[NAME://][v6addr]:port` (the listener
    /// name is dropped; an empty host means every interface, as in Kafka). Nil without a port
    /// or with one outside 0...65535.
    public init?(listener text: String) {
        var rest = Self.trimmed(text)
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard let port = Int(rest[rest.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        self.init(host: String(host), port: port)
    }

    /// `host:port`, with an IPv6 address in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static func trimmed(_ text: String) -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return text[first...last]
    }
}
