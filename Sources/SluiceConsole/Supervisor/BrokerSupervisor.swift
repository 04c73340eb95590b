import Glibc
import SluiceLocalCluster

/// How to start one broker of the embedded cluster.
public struct BrokerLauncher: Sendable {
    /// What the supervisor knows of a broker it starts.
    public struct Spec: Sendable {
        public var id: Int32
        public var port: Int32
        public var dataDirectory: String
        /// Its KRaft-style configuration (`LocalCluster.properties`), written before the start.
        public var propertiesFile: String
    }

    public var arguments: @Sendable (Spec) -> [String]

    public init(arguments: @escaping @Sendable (Spec) -> [String]) { self.arguments = arguments }

    /// `<executable> broker --config broker-N.properties --exit-with-parent`: the configuration
    /// `sluice cluster up` writes; the broker dies with the console (PR_SET_PDEATHSIG), so no broker
    /// outlives it.
    public static func sluice(executable: String) -> BrokerLauncher {
        BrokerLauncher { spec in [executable, "broker", "--config", spec.propertiesFile, "--exit-with-parent"] }
    }
}

/// Runs the embedded cluster's brokers as child processes: starts them, kills them (SIGKILL, a real
/// crash), restarts them on the same data directory (a real recovery), adds new ones, reaps them,
/// samples their memory and CPU, and stops them all on quit.
///
/// Not thread-safe: one thread owns it, and it must be a thread that lives as long as the console,
/// because Linux delivers PR_SET_PDEATHSIG when the *thread* that spawned a child exits.
public final class BrokerSupervisor {
    public let directory: DataDirectory
    private let launcher: BrokerLauncher
    var layout: LocalCluster.State
    var processes: [Int32: BrokerProcess] = [:]
    /// The quit under way (``beginStop(now:grace:)``), if any.
    var stopRun: StopRun?
    /// Brokers being stopped to be started again, with the time to give up waiting and SIGKILL.
    private var restarting: [Int32: Double] = [:]
    /// Brokers the console killed on purpose (so their exit is not reported as a crash).
    private var killed: Set<Int32> = []
    private var cpuSamples: [Int32: (time: Double, cpu: Double)] = [:]

    /// Seconds a broker gets to stop after SIGTERM before SIGKILL.
    public static let stopGrace: Double = 10

    /// Prepares the directory and the cluster (`EmbeddedLayout`): the saved one if there is one
    /// (ports now taken are replaced), otherwise `count` brokers — the first three also the
    /// metadata quorum's voters — on free ports, from `basePort` when given.
    public init(directory: DataDirectory, launcher: BrokerLauncher, count: Int, basePort: Int32?, secure: Bool = false) throws {
        self.directory = directory
        self.launcher = launcher
        try directory.prepare()
        do {
            layout = try EmbeddedLayout.prepare(directory, count: count, basePort: basePort, secure: secure)
        } catch let error as LocalClusterError {
            throw SupervisorError(error.description)
        }
        try directory.writeLayout(layout)
    }

    /// The bootstrap servers of the embedded cluster.
    public var bootstrapServers: [String] { layout.members.map { "127.0.0.1:\($0.port)" } }
    public var brokerAddresses: [Int32: String] {
        Dictionary(uniqueKeysWithValues: layout.members.map { ($0.id, "127.0.0.1:\($0.port)") })
    }
    /// Each broker's metrics endpoint (`metrics.listener`), by id.
    public var metricsEndpoints: [Int32: MetricsEndpoint] {
        Dictionary(uniqueKeysWithValues: layout.members.compactMap { m in m.metricsPort.map { (m.id, MetricsEndpoint(host: "127.0.0.1", port: $0)) } })
    }
    /// A secured cluster's users (nil: plaintext).
    public var security: LocalClusterSecurity? { layout.security }

    /// The nodes that are metadata-quorum voters (the others are broker-only).
    public var voters: Set<Int32> { Set(layout.members.filter(\.isVoter).map(\.id)) }

    /// The process table, by broker id.
    public var table: [BrokerProcess] { processes.values.sorted { $0.id < $1.id } }
    public var pids: [Int32] { processes.values.compactMap { $0.isRunning ? $0.pid : nil } }

    /// Starts every broker of the layout and writes the layout (with the pids) and the bootstrap file.
    public func startAll(now: Double, wall: Double) -> [ClusterEvent] {
        let events = layout.members.map { start($0, now: now, wall: wall, restarts: 0) }
        saveLayout()
        return events
    }

    /// SIGKILL: the broker dies at once, as in a crash.
    public func kill(_ id: Int32, wall: Double) -> ClusterEvent? {
        guard let p = processes[id], p.isRunning, let pid = p.pid else { return nil }
        killed.insert(id)
        Glibc.kill(pid, SIGKILL)
        ProcessSpawner.appendLine("=== sluice console: SIGKILL to broker \(id) (pid \(pid))", to: p.logPath)
        // A killed process is gone within microseconds; wait briefly so the view shows it down at once.
        for _ in 0..<50 {
            if let status = ProcessSpawner.reap(pid) {
                processes[id]?.status = ProcessSpawner.describe(status: status)
                break
            }
            usleep(2000)
        }
        return ClusterEvent(time: wall, kind: .process, severity: .failure, text: "Broker \(id) killed with SIGKILL (pid \(pid))")
    }

    /// Restarts a broker on the same data directory: a running one is stopped (SIGTERM, a controlled
    /// shutdown) first and started again once it exited; a dead one starts at once.
    /// A restart already under way is not started again (nil).
    public func restart(_ id: Int32, now: Double, wall: Double) -> ClusterEvent? {
        guard let member = layout.members.first(where: { $0.id == id }), restarting[id] == nil else { return nil }
        if let p = processes[id], p.isRunning, let pid = p.pid {
            restarting[id] = now + Self.stopGrace
            processes[id]?.restarting = true
            Glibc.kill(pid, SIGTERM)
            return ClusterEvent(time: wall, kind: .process, severity: .warning, text: "Broker \(id) stopping to restart (pid \(pid))")
        }
        defer { saveLayout() }
        return start(member, now: now, wall: wall, restarts: (processes[id]?.restarts ?? 0) + 1)
    }

    /// Adds a broker with the next id on a free port, as `sluice cluster add-broker` does: a
    /// broker-only node that observes the metadata quorum (the voter set is static) and receives
    /// replicas of new topics and reassignments.
    public func add(now: Double, wall: Double) throws -> ClusterEvent {
        let member = try LocalCluster.newBroker(in: layout)
        layout.members.append(member)
        try directory.cluster.writeProperties(member, in: layout)
        let event = start(member, now: now, wall: wall, restarts: 0)
        saveLayout()
        return event
    }

    /// Reaps ended processes and completes restarts; returns what happened.
    public func poll(now: Double, wall: Double) -> [ClusterEvent] {
        var events: [ClusterEvent] = []
        for (id, p) in processes where p.isRunning {
            guard let pid = p.pid else { continue }
            if let status = ProcessSpawner.reap(pid) {
                let how = ProcessSpawner.describe(status: status)
                processes[id]?.status = how
                if restarting[id] != nil || killed.contains(id) { continue }
                events.append(ClusterEvent(time: wall, kind: .process, severity: .failure,
                                           text: "Broker \(id) \(Self.words(how)) (log: \(p.logPath))"))
            } else if let deadline = restarting[id], now > deadline {
                Glibc.kill(pid, SIGKILL)
                ProcessSpawner.appendLine("=== sluice console: broker \(id) did not stop in time; SIGKILL", to: p.logPath)
            }
        }
        for (id, _) in restarting where processes[id]?.isRunning == false {
            restarting[id] = nil
            if let member = layout.members.first(where: { $0.id == id }) {
                events.append(start(member, now: now, wall: wall, restarts: (processes[id]?.restarts ?? 0) + 1))
                saveLayout()
            }
        }
        return events
    }

    /// Updates RSS and CPU of the running brokers from /proc.
    public func sampleStats(now: Double) {
        for (id, p) in processes {
            guard p.isRunning, let pid = p.pid else {
                processes[id]?.rssBytes = nil
                processes[id]?.cpuPercent = nil
                continue
            }
            processes[id]?.rssBytes = ProcStat.residentBytes(pid: pid)
            if let cpu = ProcStat.cpuSeconds(pid: pid) {
                if let last = cpuSamples[id], now > last.time {
                    processes[id]?.cpuPercent = max(0, (cpu - last.cpu) / (now - last.time) * 100)
                }
                cpuSamples[id] = (now, cpu)
            }
        }
    }

    private func start(_ member: LocalCluster.Member, now: Double, wall: Double, restarts: Int) -> ClusterEvent {
        let id = member.id, port = Int32(member.port)
        let log = directory.logFile(id)
        let args = launcher.arguments(.init(id: id, port: port, dataDirectory: directory.brokerDirectory(id),
                                            propertiesFile: directory.propertiesFile(id)))
        killed.remove(id)
        cpuSamples[id] = nil
        ProcessSpawner.appendLine("=== sluice console: starting broker \(id): \(args.joined(separator: " "))", to: log)
        do {
            let pid = try ProcessSpawner.spawn(args, logFile: log)
            processes[id] = BrokerProcess(id: id, pid: pid, port: port, status: .running, startedAt: now,
                                          restarts: restarts, logPath: log)
            let verb = restarts > 0 ? "restarted" : "started"
            let role = member.isVoter ? "" : " as a broker-only node"
            return ClusterEvent(time: wall, kind: .process, severity: .info,
                                text: "Broker \(id) \(verb) on 127.0.0.1:\(port)\(role) (pid \(pid))")
        } catch {
            processes[id] = BrokerProcess(id: id, pid: nil, port: port, status: .failedToStart("\(error)"),
                                          startedAt: now, restarts: restarts, logPath: log)
            return ClusterEvent(time: wall, kind: .process, severity: .failure, text: "Broker \(id) could not start: \(error)")
        }
    }

    /// Writes the layout with the running brokers' pids (so `sluice cluster up` sees the cluster runs,
    /// and `sluice cluster status` shows it) and the bootstrap file.
    func saveLayout() {
        for index in layout.members.indices {
            let p = processes[layout.members[index].id]
            layout.members[index].pid = (p?.isRunning ?? false) ? (p?.pid ?? 0) : 0
        }
        try? directory.writeLayout(layout)
    }

    static func words(_ status: BrokerProcess.Status) -> String {
        switch status {
        case .running: "is running"
        case .exited(let code): "exited with status \(code)"
        case .signaled(let sig): "was killed by signal \(sig)" + (sig == SIGKILL ? " (SIGKILL)" : "")
        case .stopped: "stopped"
        case .failedToStart(let why): "could not start: \(why)"
        }
    }
}
