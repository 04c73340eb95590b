import Foundation
import SluiceBroker
import SluiceClient

/// A local cluster of `sluice broker` processes under one data directory, as `sluice cluster
/// up` lays it out:
///
///     <data-dir>/bootstrap                   host:port,... (read by the client commands)
///     <data-dir>/cluster.json                the brokers: id, pid, ports, role
///     <data-dir>/broker-<id>.properties      each broker's Kafka-style configuration
///     <data-dir>/broker-<id>.log             its standard output and error
///     <data-dir>/broker-<id>/                its data directory (logs, __cluster_metadata-0)
struct LocalCluster {
    struct Member: Codable, Equatable {
        var id: Int32
        var pid: Int32
        var port: Int
        /// The controller listener's port (voters only).
        var controllerPort: Int?
    }

    struct State: Codable {
        var members: [Member]
    }

    let directory: String

    var statePath: String { directory + "/cluster.json" }
    var bootstrapPath: String { BootstrapLookup.bootstrapFile(dataDirectory: directory) }
    func propertiesPath(_ id: Int32) -> String { directory + "/broker-\(id).properties" }
    func logPath(_ id: Int32) -> String { directory + "/broker-\(id).log" }
    func dataPath(_ id: Int32) -> String { directory + "/broker-\(id)" }

    func load() -> State? {
        guard let data = FileManager.default.contents(atPath: statePath) else { return nil }
        return try? JSONDecoder().decode(State.self, from: data)
    }

    func save(_ state: State) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: URL(fileURLWithPath: statePath), options: .atomic)
        let bootstrap = state.members.sorted { $0.id < $1.id }.map { "127.0.0.1:\($0.port)" }.joined(separator: ",")
        try (bootstrap + "\n").write(toFile: bootstrapPath, atomically: true, encoding: .utf8)
    }

    static func isAlive(_ pid: Int32) -> Bool { pid > 0 && kill(pid, 0) == 0 }

    /// The properties of one node: combined (voter) or broker-only (observer), short timeouts for
    /// a local cluster, replication factors capped at the cluster size.
    static func properties(id: Int32, port: Int, controllerPort: Int?, voters: [(Int32, Int)], dataDir: String,
                           brokers: Int, rack: String?) -> String {
        let voterList = voters.map { "\($0.0)@127.0.0.1:\($0.1)" }.joined(separator: ",")
        let replication = min(3, brokers)
        var lines = [
            "# Written by `sluice cluster up`; edit and `sluice cluster down && sluice cluster up` to apply.",
            "node.id=\(id)",
            "process.roles=\(controllerPort != nil ? "broker,controller" : "broker")",
            "controller.quorum.voters=\(voterList)",
            "controller.listener.names=CONTROLLER",
            controllerPort.map { "listeners=PLAINTEXT://127.0.0.1:\(port),CONTROLLER://127.0.0.1:\($0)" }
                ?? "listeners=PLAINTEXT://127.0.0.1:\(port)",
            "log.dirs=\(dataDir)",
            "default.replication.factor=\(replication)",
            "offsets.topic.replication.factor=\(replication)",
            "min.insync.replicas=1",
            "# Local clusters fail over fast: Kafka's defaults are 9000, 2000, 1000 and 2000 ms.",
            "broker.session.timeout.ms=3000",
            "broker.heartbeat.interval.ms=500",
            "quorum.election.timeout.ms=500",
            "quorum.fetch.timeout.ms=1000",
            "leader.imbalance.check.interval.seconds=10",
            "# A follower that stops fetching leaves the ISR after this long (Kafka's default: 30000 ms).",
            "replica.lag.time.max.ms=3000",
        ]
        if let rack { lines.append("broker.rack=\(rack)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Starts one broker in the background (its own session, output to its log file).
    func spawn(_ id: Int32) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["broker", "--config", propertiesPath(id)]
        FileManager.default.createFile(atPath: logPath(id), contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath(id)) else {
            throw LocalClusterError("cannot write \(logPath(id))")
        }
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process.processIdentifier
    }

    /// This program's own path (the brokers run the same binary).
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// A free TCP port on 127.0.0.1 (bound and released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LocalClusterError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw LocalClusterError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Stops one broker: SIGTERM (a controlled shutdown), SIGKILL after `grace` seconds.
    static func stop(pid: Int32, grace: Double) -> Bool {
        guard isAlive(pid) else { return true }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while isAlive(pid) && Date() < deadline {
            usleep(20_000)
            _ = waitpid(pid, nil, WNOHANG)
        }
        if isAlive(pid) {
            kill(pid, SIGKILL)
            _ = waitpid(pid, nil, 0)
            return false
        }
        return true
    }
}

struct LocalClusterError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
