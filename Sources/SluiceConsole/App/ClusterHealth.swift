/// The cluster's health as the console can tell it, combining the last snapshot (what the
/// cluster's metadata says), the brokers' reachability (the console's own connections), the
/// process table (embedded brokers) and DescribeQuorum. Without a metadata quorum the metadata
/// cannot change: it keeps naming the leaders, ISRs and controller it had, dead brokers included.
/// So a broker known to be down never counts as a leader, an in-sync replica or the controller,
/// and a lost quorum is said as such rather than shown as a healthy cluster.
extension AppState {
    /// Seconds without an answer to DescribeQuorum after which the quorum counts as lost. A live
    /// quorum elects a leader within a second or two (Sluice: `quorum.election.timeout.ms` 500;
    /// Kafka: 1000), and a broker answers DescribeQuorum as soon as its controller does.
    public static let quorumSilenceLimit: Double = 8

    /// The metadata quorum's voters: DescribeQuorum's last answer, else the embedded cluster's.
    public var voterIDs: [Int32] {
        if let voters = snapshot?.quorum?.voters, !voters.isEmpty { return voters }
        return embeddedVoters.sorted()
    }

    /// Brokers the console knows are down: their process is not running, or (remote) they refuse
    /// connections — whatever the metadata still says of them.
    public var downBrokers: Set<Int32> { Set(brokerIDs.filter { brokerState($0) == .down }) }

    /// Why the cluster has no metadata quorum now, in words; nil when nothing says it lost it.
    /// Lost when a majority of the voters the console can see are down, or when DescribeQuorum
    /// has gone unanswered, or answered that there is no leader, for ``quorumSilenceLimit``
    /// seconds (an election takes a second or two).
    public var quorumLossReason: String? {
        let voters = voterIDs
        if !voters.isEmpty {
            // Voters that are not brokers the console sees (a remote cluster's dedicated
            // controllers) cannot be probed: they count as up.
            let seen = Set(brokerIDs), down = downBrokers
            let gone = voters.filter { seen.contains($0) && down.contains($0) }
            if voters.count - gone.count < voters.count / 2 + 1 {
                return "\(gone.count) of \(voters.count) voters down (\(Format.ids(gone)))"
            }
        }
        guard let snap = snapshot, let quorum = snap.quorum else { return nil }
        if let since = quorum.unansweredSince, snap.monotonic - since >= Self.quorumSilenceLimit {
            let how = quorum.leaderID == -1 ? "no quorum leader" : "DescribeQuorum unanswered"
            return "\(how) for \(Format.duration((snap.monotonic - since).rounded()))"
        }
        return nil
    }

    /// The active controller as far as the console can tell: the one the metadata names, unless
    /// the quorum is lost or that broker is down.
    public var activeControllerID: Int32? {
        guard let id = snapshot?.controllerID, id >= 0, brokerState(id) != .down, quorumLossReason == nil else { return nil }
        return id
    }

    /// Offline: no leader, or a leader that is down (its partitions answer no one).
    public func isOffline(_ p: PartitionSnapshot, down: Set<Int32>) -> Bool { p.leader < 0 || down.contains(p.leader) }

    /// The ISR members that are not down, in ISR order.
    public func liveISR(_ p: PartitionSnapshot, down: Set<Int32>) -> [Int32] { p.isr.filter { !down.contains($0) } }

    /// Under-replicated: online, with fewer live in-sync replicas than replicas.
    public func isUnderReplicated(_ p: PartitionSnapshot, down: Set<Int32>) -> Bool {
        !isOffline(p, down: down) && liveISR(p, down: down).count < p.replicas.count
    }

    /// Partitions offline and under-replicated, counted as above.
    public var partitionHealth: (offline: Int, underReplicated: Int) {
        let down = downBrokers
        var offline = 0, urp = 0
        for p in snapshot?.partitions ?? [] {
            if isOffline(p, down: down) { offline += 1 } else if isUnderReplicated(p, down: down) { urp += 1 }
        }
        return (offline, urp)
    }
}

extension Reducer {
    /// Records the quorum's loss and return and controller changes, as the console judges them
    /// (``AppState/activeControllerID``): a controller the metadata names is not announced when
    /// that broker is down.
    static func noteHealth(_ s: inout AppState, before: AppState) {
        guard s.snapshot != nil else { return }
        let lost = s.quorumLossReason, wasLost = before.quorumLossReason
        let controller = s.activeControllerID, previous = before.activeControllerID
        let t = max(s.now, s.snapshot?.takenAt ?? 0)
        var events: [ClusterEvent] = []
        if let lost, wasLost == nil {
            s.quorumLostSince = t
            events.append(ClusterEvent(time: t, kind: .controller, severity: .failure,
                                       text: "Metadata quorum lost: \(lost). The metadata is frozen: no controller, "
                                           + "no leader elections, no topic changes"))
        } else if lost == nil, wasLost != nil {
            s.quorumLostSince = nil
            events.append(ClusterEvent(time: t, kind: .controller, severity: .good,
                                       text: "Metadata quorum restored" + (controller.map { ": broker \($0) is the active controller" } ?? "")))
        } else if before.snapshot != nil, controller != previous {
            if let controller {
                events.append(ClusterEvent(time: t, kind: .controller, severity: .warning,
                                           text: "Controller changed: \(previous.map { "broker \($0)" } ?? "none") → broker \(controller)"))
            } else {
                let named = s.snapshot?.controllerID.flatMap { $0 >= 0 ? $0 : nil }
                let why = named.map { s.brokerState($0) == .down ? " (broker \($0), the last one named, is down)" : "" } ?? ""
                events.append(ClusterEvent(time: t, kind: .controller, severity: .failure, text: "No active controller" + why))
            }
        }
        record(&s, events)
    }
}
