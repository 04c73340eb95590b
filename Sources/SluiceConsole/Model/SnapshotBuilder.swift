import SluiceBase

/// Turns the poller's observations into snapshots: rates in come from the difference between two
/// successive polls, consumption rates from a few seconds of committed offsets (`CommitHistory`),
/// trends from the history carried in the previous snapshot. Groups a poll could not see are kept
/// from the snapshot before, marked stale, so a passing failure neither empties the Groups view
/// nor reads as groups vanishing. Pure.
public enum SnapshotBuilder {
    /// The snapshot for `observation`, given the one before it (nil for the first poll).
    public static func build(_ obs: ClusterObservation, previous prev: ClusterSnapshot?) -> ClusterSnapshot {
        let dt = prev.map { obs.monotonic - $0.monotonic } ?? 0
        let prevPartitions = Dictionary(
            (prev?.partitions ?? []).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a }
        )
        let now = obs.monotonic

        // Groups first: what this poll could not see of them comes from the snapshot before.
        let observedGroups = groupSnapshots(obs, previous: prev, at: now)
        // Consumption per partition: growth of every group's committed offset.
        var consumed: [TopicPartition: Double] = [:]
        for group in observedGroups where group.stale == nil {
            for (key, rate) in group.commitHistory.ratePerPartition { consumed[key, default: 0] += rate }
        }

        var topics: [TopicSnapshot] = []
        var highWatermarks: [TopicPartition: Int64] = [:]
        for topic in obs.topics.sorted(by: { $0.name < $1.name }) {
            var partitions: [PartitionSnapshot] = []
            for p in topic.partitions.sorted(by: { $0.partition < $1.partition }) {
                let key = TopicPartition(topic.name, p.partition)
                var snap = PartitionSnapshot(
                    topic: topic.name, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch,
                    replicas: p.replicas, isr: p.isr, offlineReplicas: p.offlineReplicas, highWatermark: p.highWatermark,
                    logStartOffset: p.logStartOffset, size: obs.logDirs[p.leader]?[key]
                )
                if let hw = p.highWatermark { highWatermarks[key] = hw }
                snap.throughput = partitionThroughput(snap, before: prevPartitions[key], dt: dt, consumed: consumed[key] ?? 0)
                partitions.append(snap)
            }
            let throughput = partitions.reduce(Throughput()) { $0 + $1.throughput }
            let sizes = partitions.compactMap(\.size)
            topics.append(
                TopicSnapshot(
                    name: topic.name, isInternal: topic.isInternal, partitions: partitions, throughput: throughput,
                    trend: (prev?.topic(topic.name)?.trend ?? RateSeries()).appending(throughput.messagesIn, at: now),
                    size: sizes.isEmpty ? nil : sizes.reduce(0, +), error: topic.error
                )
            )
        }

        let groups = groupsWithEnds(observedGroups, highWatermarks: highWatermarks)
        // A topic's lag is the sum over the groups that have offsets on it.
        for i in topics.indices {
            let lags = groups.flatMap(\.offsets).filter { $0.key.topic == topics[i].name }.compactMap(\.lag)
            topics[i].lag = lags.isEmpty ? nil : lags.reduce(0, +)
        }

        let brokers = brokerSnapshots(obs, topics: topics, previous: prev)
        let totals = topics.reduce(Throughput()) { $0 + $1.throughput }
        var snapshot = ClusterSnapshot(
            sequence: (prev?.sequence ?? 0) + 1, takenAt: obs.takenAt, monotonic: now,
            clusterID: obs.clusterID ?? prev?.clusterID, controllerID: obs.controllerID,
            brokers: brokers, topics: topics, groups: groups, totals: totals,
            messagesInSeries: (prev?.messagesInSeries ?? RateSeries()).appending(totals.messagesIn, at: now),
            bytesInSeries: (prev?.bytesInSeries ?? RateSeries()).appending(totals.bytesIn, at: now),
            messagesOutSeries: (prev?.messagesOutSeries ?? RateSeries()).appending(totals.messagesOut, at: now),
            bytesOutSeries: (prev?.bytesOutSeries ?? RateSeries()).appending(totals.bytesOut, at: now),
            errors: obs.errors, groupsError: obs.groupsError, groupsUnlisted: obs.groupsUnlisted, quorum: obs.quorum
        )
        snapshot.lastingErrors = obs.errors.filter { prev?.errors.contains($0) ?? false }
        snapshot.clusterAuthorizedOperations = obs.clusterAuthorizedOperations
        return snapshot
    }

    private static func partitionThroughput(
        _ p: PartitionSnapshot, before: PartitionSnapshot?, dt: Double, consumed: Double
    ) -> Throughput {
        guard dt > 0, let before else { return Throughput() }
        var t = Throughput()
        if let hw = p.highWatermark, let hw0 = before.highWatermark, hw >= hw0 {
            t.messagesIn = Double(hw - hw0) / dt
        }
        // Average stored message size, to turn message rates into byte rates when the size on disk
        // did not grow (retention deleted a segment, or the size is unknown).
        let averageSize: Double = {
            guard let size = p.size, let count = p.messageCount, count > 0 else { return 0 }
            return Double(size) / Double(count)
        }()
        if let size = p.size, let size0 = before.size, size > size0 {
            t.bytesIn = Double(size - size0) / dt
        } else {
            t.bytesIn = t.messagesIn * averageSize
        }
        t.messagesOut = consumed
        t.bytesOut = consumed * averageSize
        return t
    }

    /// The groups of this poll. When the poll could not list them, the ones of the snapshot before
    /// (unchanged, marked stale); a group it listed but could not describe keeps its members,
    /// offsets and history from before, with the state the listing gave.
    private static func groupSnapshots(_ obs: ClusterObservation, previous prev: ClusterSnapshot?, at now: Double)
        -> [GroupSnapshot]
    {
        if let why = obs.groupsUnlisted {
            return (prev?.groups ?? []).map { g in
                var g = g
                g.stale = why
                return g
            }
        }
        // A group the listing misses once is kept (marked stale) for this poll: while a group
        // coordinator moves (a preferred leader taking its `__consumer_offsets` partition back), the
        // new coordinator may not list it yet. Missing from two polls in a row, it is gone.
        let listed = Set(obs.groups.map(\.id))
        let missing = (prev?.groups ?? []).filter { !listed.contains($0.id) && $0.stale != GroupSnapshot.notListed }.map { g in
            var g = g
            g.stale = GroupSnapshot.notListed
            g.offsetResets = [:]
            return g
        }
        return (obs.groups.sorted(by: { $0.id < $1.id }).map { group in
            let before = prev?.group(group.id)
            if let why = group.unanswered {
                var g = before ?? GroupSnapshot(id: group.id, state: group.state, type: group.type, protocolType: group.protocolType)
                if !group.state.isEmpty { g.state = group.state }
                g.stale = why
                return g
            }
            var owners: [TopicPartition: ObservedMember] = [:]
            var targets: [TopicPartition: ObservedMember] = [:]
            for member in group.members {
                for key in member.assignment { owners[key] = member }
                for key in member.target ?? [] { targets[key] = member }
            }
            let keys = Set(group.committed.keys).union(owners.keys).union(targets.keys).sorted()
            let resets = offsetResets(group, before: before)
            let history = (before?.commitHistory ?? CommitHistory()).rebasing(group.committed.filter { resets[$0.key] != nil })
                .appending(group.committed, at: now)
            return GroupSnapshot(
                id: group.id, state: group.state, type: group.type, protocolType: group.protocolType, assignor: group.assignor,
                members: group.members,
                offsets: keys.map { key in
                    let owner = owners[key], target = targets[key]
                    var move: GroupPartitionOffset.Move?
                    if let target, target.memberID != owner?.memberID { move = owner == nil ? .assigning : .revoking }
                    return GroupPartitionOffset(key: key, committed: group.committed[key], end: nil, owner: owner?.clientID,
                                                target: target?.clientID, move: move)
                },
                lagTrend: before?.lagTrend ?? RateSeries(),
                messagesPerSecond: history.ratePerPartition.values.reduce(0, +), commitHistory: history,
                offsetResets: resets
            )
        } + missing).sorted { $0.id < $1.id }
    }

    /// Committed offsets that moved without consumption since the group's last poll, by how much:
    /// backwards (consumers only move forwards), or forwards in a group of consumers with no
    /// member (`sluice group reset-offsets`, `kafka-consumer-groups --reset-offsets`: Kafka only
    /// resets an empty group). A group that never had members (protocol type "": consumers that
    /// assign partitions themselves and commit) consumes without members, and its commits count.
    static func offsetResets(_ group: ObservedGroup, before: GroupSnapshot?) -> [TopicPartition: Int64] {
        guard let last = before?.commitHistory.samples.last?.committed else { return [:] }
        let memberless = group.state == "Empty" && group.members.isEmpty && !group.protocolType.isEmpty
        var resets: [TopicPartition: Int64] = [:]
        for (key, offset) in group.committed {
            guard let old = last[key], offset != old else { continue }
            if offset < old || memberless { resets[key] = offset - old }
        }
        return resets
    }

    /// Fills in each partition's end offset (the high watermark), the lag, and the lag's trend.
    /// Stale groups keep the figures they had.
    private static func groupsWithEnds(_ groups: [GroupSnapshot], highWatermarks: [TopicPartition: Int64]) -> [GroupSnapshot] {
        groups.map { group in
            guard group.stale == nil, let now = group.commitHistory.samples.last?.time else { return group }
            var g = group
            for i in g.offsets.indices { g.offsets[i].end = highWatermarks[g.offsets[i].key] }
            let lags = g.offsets.compactMap(\.lag)
            g.totalLag = lags.isEmpty ? nil : lags.reduce(0, +)
            g.lagTrend = g.lagTrend.appending(Double(g.totalLag ?? 0), at: now)
            return g
        }
    }

    /// Throttle time per second of each quota entity between two scrapes (a counter that went
    /// down — a restarted broker — counts from zero).
    static func throttled(_ now: [ClientThrottleKey: Double], before: [ClientThrottleKey: Double]?, dt: Double) -> [ThrottledClient] {
        guard let before, dt > 0 else { return [] }
        return now.compactMap { key, total in
            let then = before[key] ?? 0
            let grown = total >= then ? total - then : total
            return grown > 0 ? ThrottledClient(key: key, msPerSecond: grown / dt) : nil
        }.sorted { ($0.msPerSecond, $1.key) > ($1.msPerSecond, $0.key) }
    }

    private static func brokerSnapshots(
        _ obs: ClusterObservation, topics: [TopicSnapshot], previous: ClusterSnapshot?
    ) -> [BrokerSnapshot] {
        let dt = previous.map { obs.monotonic - $0.monotonic } ?? 0
        var byID: [Int32: BrokerSnapshot] = [:]
        for old in previous?.brokers ?? [] {
            byID[old.id] = BrokerSnapshot(id: old.id, host: old.host, port: old.port, rack: old.rack, registered: false)
        }
        for b in obs.brokers {
            byID[b.id] = BrokerSnapshot(id: b.id, host: b.host, port: b.port, rack: b.rack, registered: true)
        }
        for id in Array(byID.keys) {
            var b = byID[id]!
            b.probe = obs.probes[id]
            if let dirs = obs.logDirs[id] { b.logSize = dirs.values.reduce(0, +) }
            if let latency = obs.serverLatency[id] {
                let before = previous?.brokers.first { $0.id == id }?.serverLatency
                // A restarted broker starts its counts again: then everything it counted is new.
                func since(_ now: CumulativeHistogram?, _ then: CumulativeHistogram?) -> CumulativeHistogram? {
                    guard let now, let then, (then.buckets.last?.count ?? 0) <= (now.buckets.last?.count ?? 0) else { return nil }
                    return then
                }
                b.serverLatency = latency
                b.produceP99Ms = latency.produce?.quantile(0.99, since: since(latency.produce, before?.produce))
                b.fetchP99Ms = latency.fetch?.quantile(0.99, since: since(latency.fetch, before?.fetch))
                b.throttledClients = throttled(latency.clientThrottleMs, before: before?.clientThrottleMs, dt: dt)
            }
            byID[id] = b
        }
        for partition in topics.flatMap(\.partitions) {
            if byID[partition.leader] != nil {
                byID[partition.leader]!.leaderCount += 1
                byID[partition.leader]!.throughput = byID[partition.leader]!.throughput + partition.throughput
                if partition.isUnderReplicated { byID[partition.leader]!.underReplicatedCount += 1 }
            }
            for replica in partition.replicas where byID[replica] != nil { byID[replica]!.replicaCount += 1 }
        }
        return byID.values.sorted { $0.id < $1.id }
    }
}
