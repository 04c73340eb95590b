import Foundation

/// A local cluster of `sluice broker` processes under one data directory, laid out the same way
/// by `sluice cluster up` and by the console's embedded cluster (so `sluice cluster status` reads
/// either):
///
///     <data-dir>/bootstrap                   host:port,... (read by the client commands)
///     <data-dir>/cluster.json                the brokers: id, pid, ports, role
///     <data-dir>/broker-<id>.properties      each broker's Kafka-style configuration
///     <data-dir>/broker-<id>.log             its standard output and error
///     <data-dir>/broker-<id>/                its data directory (logs, __cluster_metadata-0)
public struct LocalCluster: Sendable {
    /// One node of the cluster.
    public struct Member: Codable, Equatable, Sendable {
        public var id: Int32
        /// The running process, 0 when none (written so that another tool sees the cluster runs).
        public var pid: Int32
        /// The client (PLAINTEXT) listener's port.
        public var port: Int
        /// The controller listener's port: voters only (broker-only nodes observe the quorum).
        public var controllerPort: Int?
        /// Its `broker.rack`, if any.
        public var rack: String?
        /// The HTTP port of `/metrics` and `/health/*` (`metrics.listener`); nil for clusters
        /// planned before brokers had one.
        public var metricsPort: Int?

        public init(id: Int32, pid: Int32 = 0, port: Int, controllerPort: Int?, rack: String? = nil, metricsPort: Int? = nil) {
            self.id = id
            self.pid = pid
            self.port = port
            self.controllerPort = controllerPort
            self.rack = rack
            self.metricsPort = metricsPort
        }

        /// `http://127.0.0.1:<metricsPort>`, when the broker has a metrics endpoint.
        public var metricsURL: String? { metricsPort.map { "http://127.0.0.1:\($0)" } }

        public var isVoter: Bool { controllerPort != nil }
    }

    /// What `cluster.json` holds.
    public struct State: Codable, Equatable, Sendable {
        public var members: [Member]
        /// Set for a secured cluster (`--secure`): its users' passwords. Absent from older files.
        public var security: LocalClusterSecurity?
        public init(members: [Member], security: LocalClusterSecurity? = nil) {
            self.members = members
            self.security = security
        }

        /// The metadata quorum's voters, as `(id, controller port)`.
        public var voters: [(Int32, Int)] { members.compactMap { m in m.controllerPort.map { (m.id, $0) } } }
        /// The next unused node id.
        public var nextId: Int32 { (members.map(\.id).max() ?? 0) + 1 }
    }

    public let directory: String

    public init(directory: String) { self.directory = directory }

    public var statePath: String { directory + "/cluster.json" }
    public var bootstrapPath: String { directory + "/bootstrap" }
    public func propertiesPath(_ id: Int32) -> String { directory + "/broker-\(id).properties" }
    public func logPath(_ id: Int32) -> String { directory + "/broker-\(id).log" }
    public func dataPath(_ id: Int32) -> String { directory + "/broker-\(id)" }

    /// The saved state; nil when there is none or it is not this layout (see `legacyConsoleBrokers`).
    public func load() -> State? {
        guard let data = FileManager.default.contents(atPath: statePath) else { return nil }
        return try? JSONDecoder().decode(State.self, from: data)
    }

    /// Saves the state and the bootstrap file (brokers by id).
    public func save(_ state: State) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: URL(fileURLWithPath: statePath), options: .atomic)
        let bootstrap = state.members.sorted { $0.id < $1.id }.map { "127.0.0.1:\($0.port)" }.joined(separator: ",")
        try (bootstrap + "\n").write(toFile: bootstrapPath, atomically: true, encoding: .utf8)
    }

    /// The broker ids of a `cluster.json` written by the console before clusters existed
    /// (`{"brokers":[{"id":1,"port":N}]}`: one broker, a quorum of its own, no controller listener);
    /// nil when the file is absent or of the current layout.
    public func legacyConsoleBrokers() -> [(id: Int32, port: Int)]? {
        struct Legacy: Decodable {
            struct Broker: Decodable {
                var id: Int32
                var port: Int
            }
            var brokers: [Broker]
        }
        guard load() == nil, let data = FileManager.default.contents(atPath: statePath),
              let legacy = try? JSONDecoder().decode(Legacy.self, from: data) else { return nil }
        return legacy.brokers.map { ($0.id, $0.port) }
    }

    /// A new cluster's members on free ports: ids 1...brokers, the first `voters` of them voters.
    /// `basePort` puts broker N's client port at `basePort + N - 1` and its controller port at
    /// `basePort + 50 + N - 1` and its metrics port at `basePort + 100 + N - 1` when those are free.
    public static func plan(brokers: Int, voters: Int, racks: Int? = nil, basePort: Int? = nil) throws -> State {
        var members: [Member] = []
        var taken = Set<Int>()
        for id in 1...Int32(max(1, brokers)) {
            let port = try freePort(preferring: basePort.map { $0 + Int(id) - 1 }, avoiding: taken)
            taken.insert(port)
            var controllerPort: Int?
            if Int(id) <= voters {
                controllerPort = try freePort(preferring: basePort.map { $0 + 50 + Int(id) - 1 }, avoiding: taken)
                taken.insert(controllerPort!)
            }
            let metricsPort = try freePort(preferring: basePort.map { $0 + 100 + Int(id) - 1 }, avoiding: taken)
            taken.insert(metricsPort)
            let rack = racks.map { "rack-\((Int(id) - 1) % max(1, $0) + 1)" }
            members.append(Member(id: id, port: port, controllerPort: controllerPort, rack: rack, metricsPort: metricsPort))
        }
        return State(members: members)
    }

    /// A broker-only member with the next id on a free port (it observes the quorum: the voter set is static).
    public static func newBroker(in state: State, rack: String? = nil) throws -> Member {
        var taken = Set(state.members.flatMap { [$0.port] + ($0.controllerPort.map { [$0] } ?? []) + ($0.metricsPort.map { [$0] } ?? []) })
        let port = try freePort(avoiding: taken)
        taken.insert(port)
        return Member(id: state.nextId, port: port, controllerPort: nil, rack: rack, metricsPort: try freePort(avoiding: taken))
    }

    /// Writes one member's properties file for the cluster `state` describes.
    public func writeProperties(_ member: Member, in state: State) throws {
        var text = Self.properties(id: member.id, port: member.port, controllerPort: member.controllerPort, voters: state.voters,
                                   dataDir: dataPath(member.id), brokers: state.members.count, rack: member.rack,
                                   metricsPort: member.metricsPort)
        if let security = state.security {
            // Its SASL_SSL listeners replace the PLAINTEXT ones.
            text = text.split(separator: "\n").filter { !$0.hasPrefix("listeners=") }.joined(separator: "\n") + "\n"
                + security.brokerProperties(port: member.port, controllerPort: member.controllerPort, tls: tlsFiles)
                .joined(separator: "\n") + "\n"
        }
        try text.write(toFile: propertiesPath(member.id), atomically: true, encoding: .utf8)
    }

    /// The properties of one node: combined (voter) or broker-only (observer), short timeouts for
    /// a local cluster, replication factors capped at the cluster size.
    public static func properties(id: Int32, port: Int, controllerPort: Int?, voters: [(Int32, Int)], dataDir: String,
                                  brokers: Int, rack: String?, metricsPort: Int? = nil) -> String {
        let voterList = voters.map { "\($0.0)@127.0.0.1:\($0.1)" }.joined(separator: ",")
        let replication = min(3, brokers)
        var lines = [
            "# Written by `sluice cluster up` or the sluice console; edit and restart the broker to apply.",
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
            "controller.quorum.election.timeout.ms=500",
            "controller.quorum.fetch.timeout.ms=1000",
            "leader.imbalance.check.interval.seconds=10",
            "# A follower that stops fetching leaves the ISR after this long (Kafka's default: 30000 ms).",
            "replica.lag.time.max.ms=3000",
        ]
        if let rack { lines.append("broker.rack=\(rack)") }
        if let metricsPort {
            lines.append("# GET /metrics (Prometheus), /health/live, /health/ready.")
            lines.append("metrics.listener=127.0.0.1:\(metricsPort)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Starts one broker in the background with Foundation's `Process` (its output to its log
    /// file); the broker outlives this program (`sluice cluster up`).
    public func spawn(_ id: Int32, executable: String = LocalCluster.executable) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["broker", "--config", propertiesPath(id)]
        if !FileManager.default.fileExists(atPath: logPath(id)) {
            _ = FileManager.default.createFile(atPath: logPath(id), contents: nil)
        }
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
    public static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    public static func isAlive(_ pid: Int32) -> Bool { pid > 0 && kill(pid, 0) == 0 }

    /// The pid of the process running broker `id` now, whoever started it (`cluster up`, the
    /// console, a restart by hand): the live holder of its data directory's lock
    /// (``BrokerDirectoryLock``). The pid in `cluster.json` may be stale; this one is checked.
    public func runningPid(_ id: Int32) -> Int32? {
        let saved = load()?.members.first { $0.id == id }.map { [$0.pid] } ?? []
        return BrokerDirectoryLock.holder(of: dataPath(id), candidates: saved)
    }

    /// Stops whatever process runs broker `id`: SIGTERM (a controlled shutdown), SIGKILL after
    /// `grace` seconds; returns once it has exited. Only the lock's verified holder is signalled.
    /// nil when no process runs it; else its pid and whether it stopped by itself.
    public func stopBroker(_ id: Int32, grace: Double) -> (pid: Int32, clean: Bool)? {
        guard let pid = runningPid(id) else { return nil }
        kill(pid, SIGTERM)
        let clean = Self.waitForExit(pid, holding: dataPath(id), seconds: grace)
        if !clean {
            kill(pid, SIGKILL)
            _ = Self.waitForExit(pid, holding: dataPath(id), seconds: 10)
        }
        return (pid, clean)
    }

    /// Waits until `pid` no longer holds the lock of `dataDirectory` and has exited (a zombie
    /// counts as exited; our own child is reaped).
    private static func waitForExit(_ pid: Int32, holding dataDirectory: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            _ = waitpid(pid, nil, WNOHANG)
            if BrokerDirectoryLock.holder(of: dataDirectory) != pid && !isRunning(pid) { return true }
            usleep(20_000)
        }
        return false
    }

    /// Whether `pid` is a live process, not a zombie waiting for its parent (`kill(pid, 0)`
    /// succeeds for those too).
    public static func isRunning(_ pid: Int32) -> Bool {
        guard isAlive(pid) else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        // The state letter follows the command name, which is in parentheses and may hold spaces.
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// Stops one broker: SIGTERM (a controlled shutdown), SIGKILL after `grace` seconds.
    /// Returns whether it stopped by itself.
    public static func stop(pid: Int32, grace: Double) -> Bool {
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

/// A local-cluster failure, in words.
public struct LocalClusterError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
