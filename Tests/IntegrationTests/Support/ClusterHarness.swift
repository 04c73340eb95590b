import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A multi-broker Sluice cluster of real processes (`sluice broker --config ... --exit-with-parent`)
/// on free ports, with short timeouts, for fault tests: SIGKILL, restart, add a broker.
final class ClusterHarness {
    struct Node {
        var id: Int32
        var port: Int
        var controllerPort: Int?
        var process: Process?
    }

    let directory: String
    private(set) var nodes: [Int32: Node] = [:]
    let sessionTimeoutMs: Int
    /// The client listener's name and the lines added to every broker's properties (security).
    let clientListener: String
    let extraProperties: [String]

    /// `parent`: where the cluster's directory goes (the temporary directory by default).
    init(brokers: Int, sessionTimeoutMs: Int = 2000, clientListener: String = "PLAINTEXT", extraProperties: [String] = [],
         parent: URL = FileManager.default.temporaryDirectory) throws {
        self.clientListener = clientListener
        self.extraProperties = extraProperties
        directory = parent.appendingPathComponent("sluice-cluster-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.sessionTimeoutMs = sessionTimeoutMs
        for id in 1...Int32(brokers) {
            nodes[id] = Node(id: id, port: try Self.freePort(), controllerPort: try Self.freePort())
        }
        for id in nodes.keys { try writeProperties(id) }
    }

    var bootstrap: String { nodes.values.sorted { $0.id < $1.id }.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") }

    var voters: String {
        nodes.values.compactMap { n in n.controllerPort.map { "\(n.id)@127.0.0.1:\($0)" } }.sorted().joined(separator: ",")
    }

    private func writeProperties(_ id: Int32) throws {
        let node = nodes[id]!
        let text = """
            node.id=\(id)
            process.roles=\(node.controllerPort != nil ? "broker,controller" : "broker")
            controller.quorum.voters=\(voters)
            controller.listener.names=CONTROLLER
            listeners=\(clientListener)://127.0.0.1:\(node.port)\(node.controllerPort.map { ",CONTROLLER://127.0.0.1:\($0)" } ?? "")
            log.dirs=\(directory)/broker-\(id)
            default.replication.factor=3
            offsets.topic.replication.factor=3
            broker.session.timeout.ms=\(sessionTimeoutMs)
            broker.heartbeat.interval.ms=250
            controller.quorum.election.timeout.ms=500
            controller.quorum.fetch.timeout.ms=1000
            group.consumer.heartbeat.interval.ms=500
            group.consumer.session.timeout.ms=6000
            """ + extraProperties.map { "\n" + $0 }.joined()
        try text.write(toFile: "\(directory)/broker-\(id).properties", atomically: true, encoding: .utf8)
    }

    /// Adds a broker-only node (a metadata observer) with the next id; does not start it.
    @discardableResult
    func addBrokerNode() throws -> Int32 {
        let id = (nodes.keys.max() ?? 0) + 1
        nodes[id] = Node(id: id, port: try Self.freePort(), controllerPort: nil)
        try writeProperties(id)
        return id
    }

    /// Starts (or restarts) broker `id`; returns once it prints its listening line.
    func start(_ id: Int32) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BrokerProcess.binary)
        process.arguments = ["broker", "--config", "\(directory)/broker-\(id).properties", "--exit-with-parent"]
        let out = "\(directory)/broker-\(id).out", err = "\(directory)/broker-\(id).log"
        FileManager.default.createFile(atPath: out, contents: nil)
        if !FileManager.default.fileExists(atPath: err) { FileManager.default.createFile(atPath: err, contents: nil) }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        let log = FileHandle(forWritingAtPath: err)
        log?.seekToEndOfFile()
        process.standardError = log
        try process.run()
        nodes[id]!.process = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: out, encoding: .utf8), text.contains("listening on") { return }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw BrokerProcess.Failure(description: "broker \(id) did not start:\n\(logTail(id))")
    }

    func startAll() throws {
        for id in nodes.keys.sorted() { try start(id) }
    }

    func kill9(_ id: Int32) {
        guard let process = nodes[id]?.process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        BrokerProcess.waitForExit(process, seconds: 10)
    }

    func isRunning(_ id: Int32) -> Bool { nodes[id]?.process?.isRunning ?? false }

    func logTail(_ id: Int32, lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: "\(directory)/broker-\(id).log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    func allLogs() -> String { nodes.keys.sorted().map { "--- broker \($0)\n\(logTail($0))" }.joined(separator: "\n") }

    /// Polls `condition` every 50 ms until it holds or `seconds` pass; returns the time it took.
    @discardableResult
    static func waitFor(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws -> Double {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if (try? condition()) == true { return Date().timeIntervalSince(start) }
            usleep(50_000)
        }
        throw BrokerProcess.Failure(description: "timed out after \(seconds) s waiting for \(what)")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw BrokerProcess.Failure(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func stopAll() {
        for node in nodes.values {
            guard let process = node.process, process.isRunning else { continue }
            process.terminate()
        }
        for node in nodes.values {
            guard let process = node.process else { continue }
            if !BrokerProcess.waitForExit(process, seconds: 15) { kill(process.processIdentifier, SIGKILL) }
        }
    }

    deinit {
        for node in nodes.values where node.process?.isRunning == true { kill(node.process!.processIdentifier, SIGKILL) }
        if ProcessInfo.processInfo.environment["SLUICE_KEEP_CLUSTER"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
