import Foundation

/// The embedded cluster's directory: where each broker keeps its data and log, the cluster layout
/// (broker ids and ports, so a restarted console finds its cluster again), and the `bootstrap` file
/// that tells `sluice` commands where the running local cluster listens.
///
///     <dir>/cluster.json      {"brokers":[{"id":1,"port":40123}]}
///     <dir>/bootstrap         127.0.0.1:40123     (while the console runs)
///     <dir>/broker-1/         the broker's --data-dir
///     <dir>/logs/broker-1.log the broker's stdout and stderr
public struct DataDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// `$XDG_DATA_HOME/sluice`, else `~/.local/share/sluice`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/sluice" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/sluice"
    }

    public struct Layout: Codable, Equatable, Sendable {
        public struct Broker: Codable, Equatable, Sendable {
            public var id: Int32
            public var port: Int32
            public init(id: Int32, port: Int32) {
                self.id = id
                self.port = port
            }
        }

        public var brokers: [Broker]
        public init(brokers: [Broker]) { self.brokers = brokers }
    }

    public var layoutFile: String { path + "/cluster.json" }
    public var bootstrapFile: String { path + "/bootstrap" }
    public var logDirectory: String { path + "/logs" }
    public func brokerDirectory(_ id: Int32) -> String { path + "/broker-\(id)" }
    public func logFile(_ id: Int32) -> String { logDirectory + "/broker-\(id).log" }

    /// Creates the directory and its logs folder.
    public func prepare() throws {
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
    }

    /// Deletes what a previous run left (brokers' data, logs, layout, bootstrap), and only that:
    /// other files a user keeps in the directory are not touched.
    public func wipe() throws {
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: path) else { return }
        for entry in entries where entry.hasPrefix("broker-") || ["logs", "cluster.json", "bootstrap"].contains(entry) {
            try fm.removeItem(atPath: path + "/" + entry)
        }
    }

    public func readLayout() -> Layout? {
        guard let data = FileManager.default.contents(atPath: layoutFile) else { return nil }
        return try? JSONDecoder().decode(Layout.self, from: data)
    }

    public func writeLayout(_ layout: Layout) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(layout).write(to: URL(fileURLWithPath: layoutFile), options: .atomic)
    }

    public func writeBootstrap(_ servers: [String]) throws {
        try (servers.joined(separator: ",") + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
    }

    public func removeBootstrap() { try? FileManager.default.removeItem(atPath: bootstrapFile) }
}

/// Holds an exclusive lock on `<dir>/console.lock` so two consoles never run one cluster.
public final class DataDirectoryLock {
    private let fd: Int32

    /// Takes the lock, or throws naming the directory when another console holds it.
    public init(_ dir: DataDirectory) throws {
        fd = open(dir.path + "/console.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SupervisorError("cannot open \(dir.path)/console.lock: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw SupervisorError("another sluice console is using \(dir.path); quit it first or pass --data-dir")
        }
    }

    deinit { close(fd) }
}

/// A supervisor failure, in words.
public struct SupervisorError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
