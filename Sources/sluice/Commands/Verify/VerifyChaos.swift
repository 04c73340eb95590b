import Foundation
import SluiceLocalCluster
#if canImport(Glibc)
import Glibc
#endif

/// The faults `sluice verify` injects into a local cluster (the one `sluice cluster up` runs):
/// every `killEvery` seconds (or at random intervals of that mean) it SIGKILLs `killCount`
/// running brokers chosen by the seed, and starts each again `downFor` seconds later on the
/// same data directory and ports, as `sluice cluster up` starts it.
final class VerifyChaos: @unchecked Sendable {
    // @unchecked Sendable: the schedule (`pendingRestarts`, `rng`, counters) is used from one task at a time
    // (the chaos loop, then the final restart); `members`, which the progress task also reads, is behind `lock`.

    struct Settings {
        var killEvery: Double
        var killCount: Int
        var downFor: Double
        var random: Bool
        var seed: UInt64
    }

    let cluster: LocalCluster
    private let lock = NSLock()
    private var members: LocalCluster.State
    /// The cluster as it is now (pids change with every restart).
    var state: LocalCluster.State { lock.withLock { members } }
    private let settings: Settings
    private var rng: VerifyRandom
    private var pendingRestarts: [(at: Double, id: Int32)] = []
    private(set) var kills = 0
    private(set) var restarts = 0
    /// Our own children (spawned here) are reaped with waitpid; others are polled.
    private var children: Set<Int32> = []

    init(cluster: LocalCluster, state: LocalCluster.State, settings: Settings) {
        self.cluster = cluster
        self.members = state
        self.settings = settings
        self.rng = VerifyRandom(seed: settings.seed)
    }

    /// Kills and restarts brokers until `end` (seconds on ``monotonic()``), reporting each event.
    func run(until end: Double, report: (String) -> Void) async {
        let clock = Self.monotonic
        var nextKill = clock() + interval()
        while clock() < end {
            let now = clock()
            for restart in pendingRestarts where restart.at <= now { self.restart(restart.id, report: report) }
            pendingRestarts.removeAll { $0.at <= now }
            if now >= nextKill {
                kill(report: report)
                nextKill = now + interval()
            }
            let wake = ([nextKill, end] + pendingRestarts.map(\.at)).min() ?? end
            let sleep = max(0.01, wake - clock())
            try? await Task.sleep(nanoseconds: UInt64(sleep * 1_000_000_000))
        }
    }

    /// Starts every broker that is down (the end of the run).
    func restartAll(report: (String) -> Void) {
        pendingRestarts = []
        for member in state.members where !LocalCluster.isAlive(member.pid) { restart(member.id, report: report) }
    }

    var downBrokers: [Int32] { state.members.filter { !LocalCluster.isAlive($0.pid) }.map(\.id).sorted() }

    private func interval() -> Double {
        guard settings.random else { return settings.killEvery }
        // Exponential with the given mean, at least a tenth of it.
        let u = max(1e-9, Double(rng.next() >> 11) / Double(1 << 53))
        return max(settings.killEvery / 10, -log(u) * settings.killEvery)
    }

    private func kill(report: (String) -> Void) {
        let alive = state.members.filter { LocalCluster.isAlive($0.pid) }.map(\.id).sorted()
        let room = settings.killCount - downBrokers.count
        guard room > 0, !alive.isEmpty else { return }
        var candidates = alive
        for _ in 0..<min(room, alive.count) {
            let id = candidates.remove(at: Int(rng.next() % UInt64(candidates.count)))
            guard let index = state.members.firstIndex(where: { $0.id == id }) else { continue }
            let pid = state.members[index].pid
            Glibc.kill(pid, SIGKILL)
            waitForExit(pid)
            kills += 1
            report("SIGKILL broker \(id) (pid \(pid))")
            pendingRestarts.append((Self.monotonic() + settings.downFor, id))
        }
    }

    private func restart(_ id: Int32, report: (String) -> Void) {
        guard let index = state.members.firstIndex(where: { $0.id == id }), !LocalCluster.isAlive(state.members[index].pid) else {
            return
        }
        do {
            let pid = try cluster.spawn(id)
            children.insert(pid)
            let saved = lock.withLock {
                members.members[index].pid = pid
                return members
            }
            try cluster.save(saved)
            restarts += 1
            report("restarted broker \(id) (pid \(pid))")
        } catch {
            report("could not restart broker \(id): \(error)")
        }
    }

    private func waitForExit(_ pid: Int32) {
        let deadline = Date().addingTimeInterval(10)
        while LocalCluster.isAlive(pid) && Date() < deadline {
            // Reaps our children (a zombie still answers kill(pid, 0)); others just exit.
            if waitpid(pid, nil, WNOHANG) == pid { return }
            usleep(5_000)
        }
    }

    /// Seconds since an arbitrary point, never going back.
    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// SplitMix64, so that `--seed` replays the same choice of victims and intervals.
struct VerifyRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
