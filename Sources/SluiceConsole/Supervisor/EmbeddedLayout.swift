import Foundation
import SluiceLocalCluster

/// Decides the embedded cluster's members before anything starts, with `sluice cluster up`'s
/// layout and configuration (`LocalCluster`): the saved cluster if the directory has one,
/// otherwise a new one of `count` brokers whose first three are the metadata quorum's voters.
enum EmbeddedLayout {
    /// The state to run, with every properties file written. Throws, saying what to do, when the
    /// directory's cluster runs already (started by `sluice cluster up`) or is an older console's.
    static func prepare(_ directory: DataDirectory, count: Int, basePort: Int32?, secure: Bool = false) throws -> LocalCluster.State {
        let cluster = directory.cluster
        var state: LocalCluster.State
        var rewrite = false
        if let legacy = cluster.legacyConsoleBrokers() {
            state = try migrate(directory, legacy: legacy, count: count)
            rewrite = true
        } else if let saved = cluster.load(), !saved.members.isEmpty {
            if let running = saved.members.first(where: { isBroker(pid: $0.pid) }) {
                throw SupervisorError("a cluster started by `sluice cluster up` is running in \(directory.path) (broker \(running.id), "
                                      + "pid \(running.pid)): `sluice cluster down` stops it, or "
                                      + "`sluice console --bootstrap 127.0.0.1:\(running.port)` watches it")
            }
            if secure && saved.security == nil {
                throw SupervisorError("the cluster in \(directory.path) was created without --secure; `sluice --fresh --secure` "
                                      + "starts a new secured one there, or `sluice --secure --data-dir DIR` elsewhere")
            }
            state = saved
        } else {
            state = try LocalCluster.plan(brokers: count, voters: min(count, 3), basePort: basePort.map(Int.init))
            if secure { state.security = .generate() }
            rewrite = true
        }
        // A secured cluster's certificates (issued once; kept while they exist).
        if state.security != nil { try cluster.ensureCertificates() }
        for index in state.members.indices { state.members[index].pid = 0 }
        // More brokers asked for than saved: broker-only nodes (the voter set is static).
        while state.members.count < count {
            state.members.append(try LocalCluster.newBroker(in: state))
            rewrite = true
        }
        // A port someone else took since the last run is replaced; every node's properties then
        // name the new one (controller ports are in everyone's `controller.quorum.voters`).
        var taken = Set<Int>()
        for index in state.members.indices {
            var member = state.members[index]
            if taken.contains(member.port) || !LocalCluster.portIsFree(member.port) {
                member.port = try LocalCluster.freePort(avoiding: taken)
                rewrite = true
            }
            taken.insert(member.port)
            if let port = member.controllerPort {
                if taken.contains(port) || !LocalCluster.portIsFree(port) {
                    member.controllerPort = try LocalCluster.freePort(avoiding: taken)
                    rewrite = true
                }
                taken.insert(member.controllerPort!)
            }
            // Every embedded broker serves /metrics (a layout saved before they did gains a port).
            if member.metricsPort == nil || taken.contains(member.metricsPort!) || !LocalCluster.portIsFree(member.metricsPort!) {
                member.metricsPort = try LocalCluster.freePort(avoiding: taken)
                rewrite = true
            }
            taken.insert(member.metricsPort!)
            state.members[index] = member
        }
        for member in state.members where rewrite || !FileManager.default.fileExists(atPath: cluster.propertiesPath(member.id)) {
            try cluster.writeProperties(member, in: state)
        }
        return state
    }

    /// An older console's one-broker directory (`{"brokers":[...]}`, a broker that was a quorum of
    /// its own) keeps its data as a one-voter cluster; it cannot become one voter of three, so
    /// more brokers are refused with the ways out.
    static func migrate(_ directory: DataDirectory, legacy: [(id: Int32, port: Int)], count: Int) throws -> LocalCluster.State {
        guard legacy.map(\.id) == [1], count == 1 else {
            throw SupervisorError("""
                \(directory.path) holds a one-broker cluster of an older sluice console, whose metadata cannot \
                join a \(count)-broker quorum. Run `sluice --brokers 1` to keep its data (it becomes a cluster of one voter; \
                `a` adds brokers), `sluice --fresh` to delete it and start \(count) brokers, or `sluice --data-dir DIR` \
                to start elsewhere.
                """)
        }
        let state = try LocalCluster.plan(brokers: 1, voters: 1, basePort: legacy[0].port)
        // The old layout's logs/ folder stays (with broker-1.log); the broker now logs to broker-1.log.
        try directory.writeLayout(state)
        return state
    }

    /// Whether `pid` is a running `sluice broker` (not merely a reused pid).
    static func isBroker(pid: Int32) -> Bool {
        guard LocalCluster.isAlive(pid),
              let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return data.split(separator: 0).contains { $0.elementsEqual("broker".utf8) }
    }
}
