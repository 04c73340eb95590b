import Foundation
import KafkaProtocol

/// Brokers on "machines" of their own: network namespaces joined by a bridge (`Clients/netns.sh`,
/// 10.200.S.i), each broker configured as a real deployment would be, the test process reaching
/// them through the bridge (as a client on another host would). Partitions are nftables rules
/// inside a namespace (`cut`, `isolate`, `heal`): packets dropped silently, as a real network
/// partition does, while the process keeps running. ``with(brokers:properties:_:)`` removes the
/// namespaces (and with them every rule) and stops every broker on every path.
final class NetnsCluster: @unchecked Sendable {
    // @unchecked: `processes` is filled once in `startAll()`, before the body runs; the test that
    // owns the cluster is its only user.
    static let script = ClientRunner.clientsDirectory.appendingPathComponent("netns.sh").path

    let prefix: String
    let subnet: Int
    let size: Int
    let directory: String
    private(set) var processes: [Int: ChildProcess] = [:]

    private init(prefix: String, subnet: Int, size: Int, directory: String) {
        self.prefix = prefix
        self.subnet = subnet
        self.size = size
        self.directory = directory
    }

    /// Why these tests cannot run here, or nil when they can: they need root and iproute2's
    /// `ip netns`, and for partitions (`firewall`) nftables' `nft` (`.ci/run` installs it).
    static func unavailable(firewall: Bool) -> String? {
        if getuid() != 0 { return "network namespaces need root" }
        let exists = { (paths: [String]) in paths.contains { FileManager.default.isExecutableFile(atPath: $0) } }
        if !exists(["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"]) { return "iproute2 (ip) is not installed" }
        if firewall && !exists(["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"]) { return "nftables (nft) is not installed" }
        return nil
    }

    func address(_ i: Int) -> String { "10.200.\(subnet).\(i)" }
    var bootstrap: String { (1...size).map { "\(address($0)):9092" }.joined(separator: ",") }
    var ids: [Int] { Array(1...size) }

    /// Runs `body` with `brokers` started brokers (each registered, a controller elected), then
    /// stops them and removes the namespaces. Returns nil, printing why, when namespaces (or, with
    /// `firewall`, nftables for `cut`/`isolate`/`heal`) are not available here.
    /// `environment`: `NAME=value` settings for broker i's process (e.g. libfaketime's).
    static func with<T>(brokers: Int = 3, properties: [String] = [], firewall: Bool = true, environment: [Int: [String]] = [:],
                        _ body: (NetnsCluster) async throws -> T) async throws -> T? {
        if let reason = unavailable(firewall: firewall) {
            print("skipped: \(reason)")
            return nil
        }
        let prefix = "sp\(String(UUID().uuidString.prefix(6)).lowercased())"
        let subnet = Int.random(in: 1...250)
        let setUp = try await ClientRunner.run("bash", [script, "up", prefix, String(subnet), String(brokers)], timeout: 30)
        return try await withResource(prefix, stop: { _ = try? await ClientRunner.run("bash", [script, "down", $0, String(brokers)], timeout: 30) }) { prefix in
            guard setUp.status == 0 else {
                print("skipped: cannot create network namespaces here: \(setUp.stderr)")
                return nil
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-partition-\(prefix)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer {
                if ProcessInfo.processInfo.environment["SLUICE_KEEP_CLUSTER"] == nil { try? FileManager.default.removeItem(atPath: directory) }
            }
            let cluster = NetnsCluster(prefix: prefix, subnet: subnet, size: brokers, directory: directory)
            return try await withResource(cluster, stop: { await $0.stopAll() }) { cluster in
                try await cluster.startAll(properties: properties, environment: environment)
                return try await body(cluster)
            }
        }
    }

    private func startAll(properties extra: [String], environment: [Int: [String]]) async throws {
        let voters = ids.map { "\($0)@\(address($0)):9093" }.joined(separator: ",")
        for i in ids {
            let properties = """
                node.id=\(i)
                process.roles=broker,controller
                controller.quorum.voters=\(voters)
                listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://\(address(i)):9093
                advertised.listeners=PLAINTEXT://\(address(i)):9092
                controller.listener.names=CONTROLLER
                broker.rack=rack-\(i)
                log.dirs=\(directory)/broker-\(i)
                default.replication.factor=3
                offsets.topic.replication.factor=3
                """ + extra.map { "\n" + $0 }.joined()
            try properties.write(toFile: "\(directory)/broker-\(i).properties", atomically: true, encoding: .utf8)
            let process = ChildProcess("/usr/bin/env", (environment[i] ?? []) + ["ip", "netns", "exec", "\(prefix)-\(i)", BrokerProcess.binary,
                                                        "broker", "--config", "\(directory)/broker-\(i).properties", "--exit-with-parent"])
            let log = "\(directory)/broker-\(i).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            // One handle for both streams: two would each write from offset 0 over the other.
            let handle = FileHandle(forWritingAtPath: log)
            process.process.standardOutput = handle
            process.process.standardError = handle
            try await process.start()
            processes[i] = process
        }
        // Every broker's own image has them all (each catches up on its own).
        try await ClusterHarness.waitFor("\(size) brokers across the namespaces and a controller, seen by each", seconds: 60) {
            for i in self.ids {
                let m = try await self.metadata(from: i)
                guard m.brokers.count == self.size && m.controllerId > 0 else { return false }
            }
            return true
        }
    }

    private func stopAll() async {
        let running = processes.values.filter(\.isRunning)
        for p in running { p.signal(SIGTERM) }
        await withTaskGroup(of: Void.self) { group in
            for p in running { group.addTask { _ = await p.stop(grace: .seconds(10)) } }
        }
    }

    /// Broker `i` drops every packet to and from brokers `others` (the test process still reaches it).
    func cut(_ i: Int, from others: [Int]) async throws {
        try await netns(["cut", prefix, String(i)] + others.map(address))
    }

    /// Broker `i` drops every packet but loopback's: peers and clients alike.
    func isolate(_ i: Int) async throws {
        try await netns(["isolate", prefix, String(i)])
    }

    /// Removes broker `i`'s rules.
    func heal(_ i: Int) async throws {
        try await netns(["heal", prefix, String(i)])
    }

    private func netns(_ arguments: [String]) async throws {
        let result = try await ClientRunner.run("bash", [Self.script] + arguments, timeout: 20)
        guard result.status == 0 else {
            throw BrokerProcess.Failure(description: "netns.sh \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
    }

    /// Metadata as broker `i` sees it (its own image, possibly stale).
    func metadata(from i: Int, topic: String? = nil) async throws -> MetadataResponse {
        let connection = try await RawKafkaConnection(host: address(i), port: 9092, timeoutSeconds: 3)
        return try await connection.roundTrip(MetadataRequest(topics: topic.map { [.init(name: $0)] }), version: 12)
    }

    /// The partitions of `topic` as broker `i` sees them: index → (leader, leader epoch, ISR).
    func partitions(from i: Int, topic: String) async throws -> [Int32: (leader: Int32, epoch: Int32, isr: [Int32])] {
        let m = try await metadata(from: i, topic: topic)
        var result: [Int32: (leader: Int32, epoch: Int32, isr: [Int32])] = [:]
        for p in m.topics.first?.partitions ?? [] { result[p.partitionIndex] = (p.leaderId, p.leaderEpoch, p.isrNodes.sorted()) }
        return result
    }

    /// Whether broker `i`'s log says `text`.
    func logContains(_ i: Int, _ text: String) -> Bool {
        ((try? String(contentsOfFile: "\(directory)/broker-\(i).log", encoding: .utf8)) ?? "").contains(text)
    }

    /// The last lines of every broker's log (for failure messages).
    func logs(lines: Int = 25) -> String {
        ids.map { i in
            let text = (try? String(contentsOfFile: "\(directory)/broker-\(i).log", encoding: .utf8)) ?? ""
            return "--- broker \(i)\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
