import Glibc

/// One broker's progress through the console's quit, as the quit screen shows it.
public struct BrokerStop: Equatable, Sendable {
    public enum Phase: Equatable, Sendable {
        /// A voter waiting for the broker-only nodes to stop first (so the quorum stays up to
        /// confirm their controlled shutdowns).
        case waiting
        /// Sent SIGTERM (a controlled shutdown) `elapsed` seconds ago.
        case stopping
        /// Exited by itself after `elapsed` seconds.
        case exited
        /// Sent SIGKILL after `elapsed` seconds, for this reason.
        case killed(String)
        /// Not running when the quit began.
        case alreadyDown
    }

    public var id: Int32
    public var phase: Phase
    /// Seconds since its SIGTERM (until it exited or was killed).
    public var elapsed: Double

    public init(id: Int32, phase: Phase, elapsed: Double = 0) {
        self.id = id
        self.phase = phase
        self.elapsed = elapsed
    }
}

/// The bookkeeping of a quit under way.
struct StopRun {
    var grace: Double
    var signalled: [Int32: Double] = [:]
    var ended: [Int32: (phase: BrokerStop.Phase, elapsed: Double)] = [:]
    var pids: [Int32: Int32] = [:]
    var waiting: [Int32] = []
    var killedPending: Set<Int32> = []
    /// Monotonic seconds since when fewer than a majority of the voters run.
    var quorumGoneAt: Double?
}

/// Quitting: every broker stops cleanly — SIGTERM, a controlled shutdown (the controller moves
/// its leaderships away) — broker-only nodes first, then the quorum's voters together (so the
/// quorum stays up to confirm every controlled shutdown). A broker still running after `grace`
/// seconds gets SIGKILL; so does one still running ``noQuorumGrace`` seconds after fewer than a
/// majority of the voters are left (from the start when the quorum is already lost). That is a
/// backstop: a broker stops by itself, cleanly, once no controller has answered it for 0.75 s
/// (`BrokerLifecycle.noControllerGrace`), at once when none has been known for that long.
/// Done step by step (``pollStop(now:)``), so the console shows each broker's progress.
extension BrokerSupervisor {
    /// Seconds a stopping broker gets once no quorum can confirm its controlled shutdown (it
    /// should have stopped by itself well before).
    public static let noQuorumGrace: Double = 2

    /// Starts the quit: SIGTERM to the broker-only nodes (to every broker when the quorum is
    /// already lost: nobody waits for it).
    @discardableResult
    public func beginStop(now: Double, grace: Double = BrokerSupervisor.stopGrace) -> [BrokerStop] {
        var run = StopRun(grace: grace)
        let voters = self.voters
        for p in processes.values {
            if p.isRunning, let pid = p.pid { run.pids[p.id] = pid } else { run.ended[p.id] = (.alreadyDown, 0) }
        }
        let runningVoters = run.pids.keys.filter { voters.contains($0) }
        let quorumLost = runningVoters.count < voters.count / 2 + 1
        if quorumLost { run.quorumGoneAt = now }
        for (id, pid) in run.pids {
            if voters.contains(id) && !quorumLost && run.pids.keys.contains(where: { !voters.contains($0) }) {
                run.waiting.append(id)
            } else {
                signal(id, pid, &run, now: now)
            }
        }
        stopRun = run
        return pollStop(now: now).progress
    }

    /// Reaps, signals the voters once the broker-only nodes are gone, and sends SIGKILL where due.
    /// `done` once every broker has exited; the layout then lists no pids and the bootstrap file
    /// is gone (the cluster is not running).
    public func pollStop(now: Double) -> (progress: [BrokerStop], done: Bool) {
        guard var run = stopRun else { return ([], true) }
        for (id, pid) in run.pids where run.ended[id] == nil || run.killedPending.contains(id) {
            guard ProcessSpawner.reap(pid) != nil else { continue }
            processes[id]?.status = .stopped
            run.killedPending.remove(id)
            if run.ended[id] == nil { run.ended[id] = (.exited, now - (run.signalled[id] ?? now)) }
        }
        let voters = self.voters
        if !run.waiting.isEmpty, run.pids.keys.allSatisfy({ voters.contains($0) || run.ended[$0] != nil }) {
            for id in run.waiting { signal(id, run.pids[id]!, &run, now: now) }
            run.waiting = []
        }
        let runningVoters = run.pids.keys.filter { voters.contains($0) && run.ended[$0] == nil }.count
        if run.quorumGoneAt == nil, !voters.isEmpty, runningVoters < voters.count / 2 + 1 { run.quorumGoneAt = now }
        for (id, since) in run.signalled where run.ended[id] == nil {
            let why: String?
            if now - since >= run.grace {
                why = "did not stop within \(Format.duration(run.grace))"
            } else if let gone = run.quorumGoneAt, now - max(gone, since) >= Self.noQuorumGrace {
                why = "no metadata quorum to confirm its controlled shutdown"
            } else {
                why = nil
            }
            guard let why, let pid = run.pids[id] else { continue }
            Glibc.kill(pid, SIGKILL)
            if let log = processes[id]?.logPath {
                ProcessSpawner.appendLine("=== sluice console: broker \(id) SIGKILL after \(Format.duration(now - since)) of its "
                                          + "controlled shutdown: \(why)", to: log)
            }
            run.ended[id] = (.killed(why), now - since)
            run.killedPending.insert(id)
        }
        let progress = processes.keys.sorted().map { id -> BrokerStop in
            if let end = run.ended[id] { return BrokerStop(id: id, phase: end.phase, elapsed: end.elapsed) }
            if let since = run.signalled[id] { return BrokerStop(id: id, phase: .stopping, elapsed: now - since) }
            return BrokerStop(id: id, phase: .waiting)
        }
        let done = run.pids.keys.allSatisfy { run.ended[$0] != nil } && run.killedPending.isEmpty
        stopRun = run
        if done { finishStop() }
        return (progress, done)
    }

    /// Stops every broker and waits until all have exited (see ``beginStop(now:grace:)``).
    public func stopAll(grace: Double = BrokerSupervisor.stopGrace) {
        beginStop(now: Clocks.monotonic(), grace: grace)
        while !pollStop(now: Clocks.monotonic()).done { usleep(20_000) }
    }

    private func signal(_ id: Int32, _ pid: Int32, _ run: inout StopRun, now: Double) {
        Glibc.kill(pid, SIGTERM)
        run.signalled[id] = now
    }

    /// The data is kept; the layout no longer lists pids and the bootstrap file goes.
    private func finishStop() {
        for index in layout.members.indices { layout.members[index].pid = 0 }
        try? directory.writeLayout(layout)
        directory.removeBootstrap()
    }
}
