import Glibc

/// How to start one broker: the command line for a broker id, port and data directory.
public struct BrokerLauncher: Sendable {
    public var arguments: @Sendable (_ id: Int32, _ port: Int32, _ dataDir: String, _ peers: [DataDirectory.Layout.Broker]) -> [String]
    /// Whether brokers started this way join one cluster (given their peers). When not, a second
    /// broker would be a one-node cluster of its own, so the console runs only one.
    public var formsClusters: Bool

    public init(formsClusters: Bool = true,
                arguments: @escaping @Sendable (Int32, Int32, String, [DataDirectory.Layout.Broker]) -> [String]) {
        self.arguments = arguments
        self.formsClusters = formsClusters
    }

    /// `<executable> broker --node-id N --listen 127.0.0.1:PORT --data-dir DIR --exit-with-parent`:
    /// the broker dies with the console (PR_SET_PDEATHSIG), so no broker outlives it.
    ///
    /// `sluice broker` cannot join other brokers yet (that is the cluster issue's work): once it
    /// can, pass the peers here and set `formsClusters`, and the console's default becomes 3.
    public static func sluice(executable: String) -> BrokerLauncher {
        BrokerLauncher(formsClusters: false) { id, port, dir, _ in
            [executable, "broker", "--node-id", "\(id)", "--listen", "127.0.0.1:\(port)", "--data-dir", dir, "--exit-with-parent"]
        }
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
    private var layout: DataDirectory.Layout
    private var processes: [Int32: BrokerProcess] = [:]
    /// Brokers being stopped to be started again, with the time to give up waiting and SIGKILL.
    private var restarting: [Int32: Double] = [:]
    /// Brokers the console killed on purpose (so their exit is not reported as a crash).
    private var killed: Set<Int32> = []
    private var cpuSamples: [Int32: (time: Double, cpu: Double)] = [:]

    /// Seconds a broker gets to stop after SIGTERM before SIGKILL.
    public static let stopGrace: Double = 10

    /// Prepares the directory and the layout: the saved one if there is one (ports that are now
    /// taken are replaced), otherwise `count` brokers on free ports starting at `basePort` (or
    /// anywhere when nil).
    public init(directory: DataDirectory, launcher: BrokerLauncher, count: Int, basePort: Int32?) throws {
        self.directory = directory
        self.launcher = launcher
        if !launcher.formsClusters && count > 1 {
            throw SupervisorError(Self.singleNodeOnly)
        }
        try directory.prepare()
        var layout = directory.readLayout() ?? DataDirectory.Layout(brokers: [])
        if !launcher.formsClusters && layout.brokers.count > 1 {
            throw SupervisorError(Self.singleNodeOnly + " (\(directory.layoutFile) lists \(layout.brokers.count); use --fresh)")
        }
        var taken = Set<Int32>()
        for i in layout.brokers.indices {
            if !ProcessSpawner.portIsFree(layout.brokers[i].port) || taken.contains(layout.brokers[i].port) {
                layout.brokers[i].port = try Self.pickPort(base: basePort, avoiding: taken)
            }
            taken.insert(layout.brokers[i].port)
        }
        while layout.brokers.count < count {
            let id = (layout.brokers.map(\.id).max() ?? 0) + 1
            let port = try Self.pickPort(base: basePort.map { $0 + id - 1 }, avoiding: taken)
            taken.insert(port)
            layout.brokers.append(.init(id: id, port: port))
        }
        self.layout = layout
        try directory.writeLayout(layout)
    }

    /// The bootstrap servers of the embedded cluster.
    public var bootstrapServers: [String] { layout.brokers.map { "127.0.0.1:\($0.port)" } }
    public var brokerAddresses: [Int32: String] {
        Dictionary(uniqueKeysWithValues: layout.brokers.map { ($0.id, "127.0.0.1:\($0.port)") })
    }

    /// The process table, by broker id.
    public var table: [BrokerProcess] { processes.values.sorted { $0.id < $1.id } }
    public var pids: [Int32] { processes.values.compactMap { $0.isRunning ? $0.pid : nil } }

    /// Starts every broker of the layout and writes the bootstrap file.
    public func startAll(now: Double, wall: Double) -> [ClusterEvent] {
        try? directory.writeBootstrap(bootstrapServers)
        return layout.brokers.map { start($0, now: now, wall: wall, restarts: 0) }
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

    /// Restarts a broker on the same data directory: a running one is stopped (SIGTERM) first and
    /// started again once it exited; a dead one starts at once.
    public func restart(_ id: Int32, now: Double, wall: Double) -> ClusterEvent? {
        guard let entry = layout.brokers.first(where: { $0.id == id }) else { return nil }
        if let p = processes[id], p.isRunning, let pid = p.pid {
            restarting[id] = now + Self.stopGrace
            Glibc.kill(pid, SIGTERM)
            return ClusterEvent(time: wall, kind: .process, severity: .warning, text: "Broker \(id) stopping to restart (pid \(pid))")
        }
        return start(entry, now: now, wall: wall, restarts: (processes[id]?.restarts ?? 0) + 1)
    }

    static let singleNodeOnly = "sluice broker cannot join other brokers yet (multi-node clusters are a later issue), "
        + "so the embedded cluster has one broker; a second one would be a separate cluster"

    /// Adds a broker with the next id on a free port, and starts it.
    public func add(now: Double, wall: Double) throws -> ClusterEvent {
        guard launcher.formsClusters else { throw SupervisorError(Self.singleNodeOnly) }
        let id = (layout.brokers.map(\.id).max() ?? 0) + 1
        let port = try Self.pickPort(base: nil, avoiding: Set(layout.brokers.map(\.port)))
        let entry = DataDirectory.Layout.Broker(id: id, port: port)
        layout.brokers.append(entry)
        try directory.writeLayout(layout)
        try? directory.writeBootstrap(bootstrapServers)
        return start(entry, now: now, wall: wall, restarts: 0)
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
            if let entry = layout.brokers.first(where: { $0.id == id }) {
                events.append(start(entry, now: now, wall: wall, restarts: (processes[id]?.restarts ?? 0) + 1))
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

    /// Stops every broker: SIGTERM, then SIGKILL for any still running after `grace` seconds.
    /// Blocks until all have exited. Removes the bootstrap file: the cluster is no longer running.
    public func stopAll(grace: Double = BrokerSupervisor.stopGrace) {
        let running = processes.values.filter(\.isRunning)
        for p in running { if let pid = p.pid { Glibc.kill(pid, SIGTERM) } }
        let deadline = Clocks.monotonic() + grace
        var left = running.compactMap { p in p.pid.map { (p.id, $0) } }
        while !left.isEmpty {
            left = left.filter { id, pid in
                if ProcessSpawner.reap(pid) != nil {
                    processes[id]?.status = .stopped
                    return false
                }
                return true
            }
            if left.isEmpty { break }
            if Clocks.monotonic() > deadline {
                for (id, pid) in left {
                    Glibc.kill(pid, SIGKILL)
                    if let log = processes[id]?.logPath {
                        ProcessSpawner.appendLine("=== sluice console: broker \(id) did not stop in time; SIGKILL", to: log)
                    }
                }
                for (id, pid) in left {
                    var status: Int32 = 0
                    waitpid(pid, &status, 0)
                    processes[id]?.status = .stopped
                }
                break
            }
            usleep(20_000)
        }
        directory.removeBootstrap()
    }

    private func start(_ entry: DataDirectory.Layout.Broker, now: Double, wall: Double, restarts: Int) -> ClusterEvent {
        let id = entry.id
        let log = directory.logFile(id)
        let args = launcher.arguments(id, entry.port, directory.brokerDirectory(id), layout.brokers)
        killed.remove(id)
        cpuSamples[id] = nil
        ProcessSpawner.appendLine("=== sluice console: starting broker \(id): \(args.joined(separator: " "))", to: log)
        do {
            let pid = try ProcessSpawner.spawn(args, logFile: log)
            processes[id] = BrokerProcess(id: id, pid: pid, port: entry.port, status: .running, startedAt: now,
                                          restarts: restarts, logPath: log)
            let verb = restarts > 0 ? "restarted" : "started"
            return ClusterEvent(time: wall, kind: .process, severity: .info,
                                text: "Broker \(id) \(verb) on 127.0.0.1:\(entry.port) (pid \(pid))")
        } catch {
            processes[id] = BrokerProcess(id: id, pid: nil, port: entry.port, status: .failedToStart("\(error)"),
                                          startedAt: now, restarts: restarts, logPath: log)
            return ClusterEvent(time: wall, kind: .process, severity: .failure, text: "Broker \(id) could not start: \(error)")
        }
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

    private static func pickPort(base: Int32?, avoiding taken: Set<Int32>) throws -> Int32 {
        if let base {
            for port in base..<(base + 100) where !taken.contains(port) && ProcessSpawner.portIsFree(port) { return port }
        }
        for _ in 0..<20 {
            if let port = ProcessSpawner.freePort(), !taken.contains(port) { return port }
        }
        throw SupervisorError("no free TCP port on 127.0.0.1")
    }
}
