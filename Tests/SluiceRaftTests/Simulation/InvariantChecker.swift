import SluiceRaft

/// The safety properties every simulation step is checked against (Raft's, plus those of
/// Kafka's `RaftEventSimulationTest`):
///
/// - election safety: at most one leader per epoch;
/// - log matching: two logs with a record of the same offset and epoch hold the same record,
///   after the same predecessor epoch (so, inductively, the same prefix);
/// - leader completeness: a new leader's log holds every record committed in earlier epochs;
/// - committed data is consistent: no two nodes commit different records at one offset;
/// - state-machine safety: no two nodes apply different records at one offset, applied
///   records never change, and equal prefixes give equal application digests (snapshots too);
/// - a node's high watermark never decreases, and only ever covers a record that a majority of
///   voters holds durably;
/// - the epoch in a node's store never decreases;
/// - no node records a protocol violation.
final class InvariantChecker {
    let voters: VoterSet
    private var leaders: [Int32: Int32] = [:]
    private struct KeyRecord {
        let entry: LogEntry
        let previousEpoch: Int32?
    }
    private var recordsByKey: [OffsetAndEpoch: KeyRecord] = [:]
    private struct Commit {
        let entry: LogEntry
        var epoch: Int32
    }
    private var commits: [Int64: Commit] = [:]
    private var applied: [Int64: LogEntry] = [:]
    private var digestAfter: [Int64: UInt64] = [:]
    private var checkedLeaderships: Set<OffsetAndEpoch> = []

    init(voters: VoterSet) {
        self.voters = voters
    }

    /// The record committed at `offset`, as far as any node has reported.
    func committedEntry(at offset: Int64) -> LogEntry? { commits[offset]?.entry }

    var committedCount: Int { commits.count }

    func nodeStarted(_ node: SimNode) {
        node.lastHighWatermark = node.raft?.highWatermark ?? 0
    }

    func readyProduced(_ node: SimNode, _ ready: RaftReady, cluster: SimCluster) throws {
        guard let raft = node.raft else { return }
        for entry in ready.persistence.entries {
            let previous: Int32? = entry.offset == 0 ? 0 : raft.log.epoch(at: entry.offset - 1)
            let key = OffsetAndEpoch(offset: entry.offset, epoch: entry.epoch)
            if let known = recordsByKey[key] {
                if known.entry != entry {
                    throw cluster.failure("log matching: node \(node.id) holds \(entry) but another node holds \(known.entry)")
                }
                if let previous, let knownPrevious = known.previousEpoch, previous != knownPrevious {
                    throw cluster.failure(
                        "log matching: node \(node.id) has \(entry) after epoch \(previous), another node after \(knownPrevious)"
                    )
                }
            } else {
                recordsByKey[key] = KeyRecord(entry: entry, previousEpoch: previous)
            }
        }
    }

    func persisted(_ node: SimNode, cluster: SimCluster) throws {
        let epoch = node.store.quorumState.epoch
        if epoch < node.lastStoredEpoch {
            throw cluster.failure("node \(node.id): stored epoch went back from \(node.lastStoredEpoch) to \(epoch)")
        }
        node.lastStoredEpoch = epoch
    }

    func restored(_ node: SimNode, _ snapshot: RaftSnapshot, cluster: SimCluster) throws {
        let end = snapshot.id.offset
        guard node.app.appliedEnd == end else {
            throw cluster.failure("node \(node.id): snapshot \(snapshot.id) restores the application to \(node.app.appliedEnd)")
        }
        if let known = digestAfter[end], known != node.app.digest {
            throw cluster.failure("state machine: node \(node.id) restored \(snapshot.id) with a digest other nodes did not reach")
        }
        digestAfter[end] = node.app.digest
    }

    func applied(_ node: SimNode, _ entry: LogEntry, cluster: SimCluster) throws {
        if let known = applied[entry.offset] {
            if known != entry {
                throw cluster.failure("state machine: node \(node.id) applied \(entry) where \(known) was applied before")
            }
        } else {
            applied[entry.offset] = entry
        }
        let end = entry.offset + 1
        if let known = digestAfter[end], known != node.app.digest {
            throw cluster.failure("state machine: node \(node.id) digest after \(entry) differs from other nodes'")
        }
        digestAfter[end] = node.app.digest
    }

    func stepped(_ node: SimNode, cluster: SimCluster) throws {
        guard let raft = node.raft else { return }
        if let violation = raft.protocolViolations.first {
            throw cluster.failure("node \(node.id) saw a protocol violation: \(violation)")
        }
        let status = raft.status
        if status.role == .leader {
            if let other = leaders[status.epoch], other != node.id {
                throw cluster.failure("election safety: nodes \(other) and \(node.id) both lead epoch \(status.epoch)")
            }
            leaders[status.epoch] = node.id
            let leadership = OffsetAndEpoch(offset: Int64(node.id), epoch: status.epoch)
            if !checkedLeaderships.contains(leadership) {
                checkedLeaderships.insert(leadership)
                try checkLeaderCompleteness(node, raft, cluster: cluster)
            }
        }
        let highWatermark = raft.highWatermark
        if highWatermark < node.lastHighWatermark {
            throw cluster.failure("node \(node.id): high watermark went back from \(node.lastHighWatermark) to \(highWatermark)")
        }
        if highWatermark > node.lastHighWatermark {
            try recordCommits(node, raft, from: node.lastHighWatermark, to: highWatermark, cluster: cluster)
            node.lastHighWatermark = highWatermark
        }
    }

    private func recordCommits(_ node: SimNode, _ raft: RaftNode, from: Int64, to: Int64, cluster: SimCluster) throws {
        for offset in max(from, raft.log.startOffset)..<to {
            guard let entry = raft.log.entry(at: offset) else {
                throw cluster.failure("node \(node.id): high watermark \(to) beyond its log \(raft.status)")
            }
            if let known = commits[offset] {
                if known.entry != entry {
                    throw cluster.failure("committed data: node \(node.id) committed \(entry) where \(known.entry) was committed")
                }
                commits[offset]?.epoch = min(known.epoch, raft.quorum.epoch)
            } else {
                commits[offset] = Commit(entry: entry, epoch: raft.quorum.epoch)
            }
        }
        // The newest committed record must be durable on a majority of voters.
        guard to > raft.log.startOffset, let epoch = raft.log.epoch(at: to - 1) else { return }
        var holders = 0
        for id in voters.ids {
            let store = cluster.simNode(id).store
            if store.entry(at: to - 1)?.epoch == epoch || (store.snapshot?.id.offset ?? 0) >= to {
                holders += 1
            }
        }
        if holders < voters.majority {
            throw cluster.failure(
                "node \(node.id): high watermark \(to) covers offset \(to - 1) (epoch \(epoch)) held by only \(holders) voters"
            )
        }
    }

    private func checkLeaderCompleteness(_ node: SimNode, _ raft: RaftNode, cluster: SimCluster) throws {
        let epoch = raft.quorum.epoch
        // Sorted, so a failure names the same record in every replay (dictionary order is not).
        for (offset, commit) in commits.sorted(by: { $0.key < $1.key })
        where commit.epoch < epoch && offset >= raft.log.startOffset {
            guard raft.log.entry(at: offset) == commit.entry else {
                throw cluster.failure(
                    "leader completeness: node \(node.id) leads epoch \(epoch) without \(commit.entry), committed in epoch "
                        + "\(commit.epoch); it has \(raft.log.entry(at: offset).map(\.description) ?? "nothing") there"
                )
            }
        }
    }
}
