#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import KafkaProtocol
import Logging
import NIOCore
@testable import SluiceBroker
import SluiceBase
import SluiceStorage

/// Brokers of one cluster in this process, each over the real storage engine in a temporary
/// directory: node 1 is the only controller (a one-voter quorum, combined roles), the others are
/// brokers only (`process.roles=broker`) that fetch the metadata log from it. The controller can
/// be stopped and started again on the same directory and port, which leaves the brokers without
/// an active controller meanwhile (as a quorum that lost its leader does).
final class InProcessCluster {
    struct Node {
        var broker: Broker
        var logs: LogManager
        var directory: String
    }

    private let root: String
    private let controllerPort: Int
    private let configure: @Sendable (inout BrokerConfig) -> Void
    private(set) var nodes: [Int32: Node] = [:]

    private init(root: String, controllerPort: Int, configure: @escaping @Sendable (inout BrokerConfig) -> Void) {
        self.root = root
        self.controllerPort = controllerPort
        self.configure = configure
    }

    /// Starts the controller (node 1) and `brokers` broker-only nodes (2, 3, …), each ready
    /// (registered and unfenced) when this returns.
    static func start(brokers: Int, configure: @escaping @Sendable (inout BrokerConfig) -> Void = { _ in }) async throws
        -> InProcessCluster {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cluster-\(UUID().uuidString)").path
        let cluster = InProcessCluster(root: root, controllerPort: try stablePort(), configure: configure)
        do {
            try await cluster.startNode(1)
            for id in 2...(1 + Int32(brokers)) { try await cluster.startNode(id) }
        } catch {
            await cluster.stop()
            throw error
        }
        return cluster
    }

    func broker(_ id: Int32) -> Broker { nodes[id]!.broker }

    func logs(_ id: Int32) -> LogManager { nodes[id]!.logs }

    /// Starts node `id` (again, on the same directory, when it ran before).
    func startNode(_ id: Int32) async throws {
        let directory = root + "/node-\(id)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = BrokerConfig()
        config.nodeId = id
        config.listener = BrokerAddress(host: "127.0.0.1", port: 0)
        config.dataDirectory = directory
        config.isController = id == 1
        config.quorumVoters = [1: BrokerAddress(host: "127.0.0.1", port: controllerPort)]
        if id == 1 { config.controllerListener = BrokerAddress(host: "127.0.0.1", port: controllerPort) }
        config.cluster.brokerSessionTimeoutMs = 6000
        config.cluster.brokerHeartbeatIntervalMs = 500
        config.cluster.autoLeaderRebalanceEnable = false
        configure(&config)
        var logger = Logger(label: "test.cluster.node-\(id)")
        logger.logLevel = ProcessInfo.processInfo.environment["SLUICE_TEST_LOG"] == "1" ? .debug : .error
        // The controller's port may be briefly busy again on a restart; what holds it is printed.
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let logs = try LogManager(directory: directory, defaults: config.logDefaults, logger: logger)
            do {
                let broker = try await Broker.start(config: config, logs: logs, logger: logger, eventLoopThreads: 1)
                nodes[id] = Node(broker: broker, logs: logs, directory: directory)
                return
            } catch let error as IOError where error.errnoCode == EADDRINUSE && id == 1 && ContinuousClock.now < deadline {
                logs.shutdown()
                print("node 1 could not bind its controller port \(controllerPort) (\(error)); trying again\n" + sockets(on: controllerPort))
                try await Task.sleep(for: .milliseconds(200))
            } catch {
                logs.shutdown()
                throw error
            }
        }
    }

    /// Stops node `id` (a clean shutdown; its directory stays).
    func stopNode(_ id: Int32) async {
        guard let node = nodes.removeValue(forKey: id) else { return }
        await node.broker.shutdown()
    }

    /// Stops every node (brokers first, the controller last) and removes the directories.
    func stop() async {
        for id in nodes.keys.sorted(by: >) { await stopNode(id) }
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// A TCP port for a listener that must come back on the same port after a stop: free now, and
/// below the kernel's ephemeral range, so that no outgoing connection (of this test's brokers,
/// retrying the stopped listener, or of other tests) is given it as its local port meanwhile.
func stablePort() throws -> Int {
    let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?
        .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) } ?? []
    let ephemeralStart = range.first ?? 32768
    let candidates = ephemeralStart > 20_000 ? 20_000..<ephemeralStart : 10_000..<20_000
    for _ in 0..<200 {
        let port = Int.random(in: candidates)
        if canBind(port) { return port }
    }
    throw RawKafkaConnection.Failure(description: "no free port in \(candidates)")
}

/// Whether a listener could bind 127.0.0.1:`port` now.
private func canBind(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// What `ss` shows for sockets on `port` (for a failure's message).
private func sockets(on port: Int) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ss", "-tanpe", "( sport = :\(port) or dport = :\(port) )"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    guard (try? process.run()) != nil else { return "(ss not available)" }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: output, as: UTF8.self)
}
