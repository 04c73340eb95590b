import SluiceClient

/// How `sluice console` was asked to run.
public struct ConsoleOptions: Sendable {
    public enum Cluster: Sendable {
        /// Run `brokers` brokers as child processes of `executable` (`sluice broker ...`) under `dataDir`;
        /// `secure`: a new cluster gets SASL_SSL, ACLs and SCRAM users (`LocalClusterSecurity`).
        case embedded(dataDir: String, brokers: Int, fresh: Bool, basePort: Int32?, executable: String, secure: Bool = false)
        /// Watch a cluster someone else runs, with TLS and SASL as `security` says.
        case remote(bootstrap: String, security: ClientSecurity = .plaintext)
    }

    public var cluster: Cluster
    /// A theme name or a path to a theme file; nil: the default (dark).
    public var theme: String?
    /// Seconds between polls.
    public var refresh: Double
    public var environment: [String: String]

    public init(cluster: Cluster, theme: String? = nil, refresh: Double = 1, environment: [String: String]) {
        self.cluster = cluster
        self.theme = theme
        self.refresh = refresh
        self.environment = environment
    }

    /// NO_COLOR set to anything but the empty string turns colours off (https://no-color.org).
    public var colorAllowed: Bool { (environment["NO_COLOR"] ?? "").isEmpty }
}

/// Why the console could not start, in words.
public struct ConsoleError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
