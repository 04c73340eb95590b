import Foundation
import SluiceLocalCluster

/// The embedded cluster's directory, in the layout `sluice cluster up` uses (`LocalCluster`:
/// `cluster.json`, `broker-N.properties`, `broker-N.log`, `broker-N/`, `bootstrap`), so
/// `sluice cluster status` describes the console's cluster and a cluster made by `sluice cluster
/// up` (once down) opens in the console. The bootstrap file exists while the console runs.
public struct DataDirectory: Sendable {
    public let path: String
    public let cluster: LocalCluster

    public init(path: String) {
        self.path = path
        cluster = LocalCluster(directory: path)
    }

    /// `$XDG_DATA_HOME/sluice`, else `~/.local/share/sluice`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/sluice" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/sluice"
    }

    public var layoutFile: String { cluster.statePath }
    public var bootstrapFile: String { cluster.bootstrapPath }
    public func brokerDirectory(_ id: Int32) -> String { cluster.dataPath(id) }
    public func logFile(_ id: Int32) -> String { cluster.logPath(id) }
    public func propertiesFile(_ id: Int32) -> String { cluster.propertiesPath(id) }

    /// Creates the directory.
    public func prepare() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Deletes what a previous run left (brokers' data, properties and logs, the layout, the
    /// bootstrap file, an older console's `logs/`), and only that: other files a user keeps in the
    /// directory are not touched.
    public func wipe() throws {
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: path) else { return }
        for entry in entries where entry.hasPrefix("broker-") || ["logs", "cluster.json", "bootstrap"].contains(entry) {
            try fm.removeItem(atPath: path + "/" + entry)
        }
    }

    public func readLayout() -> LocalCluster.State? { cluster.load() }

    public func writeLayout(_ state: LocalCluster.State) throws { try cluster.save(state) }

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
            // Its cluster is running: a second console can watch it rather than run it.
            let bootstrap = (try? String(contentsOfFile: dir.bootstrapFile, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let watch = bootstrap.map { $0.isEmpty ? "" : ", watch its cluster with `sluice console --bootstrap \($0)`" } ?? ""
            throw SupervisorError("another sluice console is using \(dir.path): quit it first\(watch), "
                                  + "or pass --data-dir to run another cluster")
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
