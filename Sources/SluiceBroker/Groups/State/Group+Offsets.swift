import KafkaProtocol
import SluiceBase
import SluiceStorage

/// Committed offsets: validating and writing commits, fetching, expiring.
extension Group {
    /// Why a commit is refused, or nil when it may be written. Members must name the current
    /// generation; commits from outside group management (generation -1, no member id) are
    /// accepted only while the group has no members.
    func validateCommit(_ input: OffsetCommitInput) -> ErrorCode? {
        if state == .dead { return .coordinatorNotAvailable }
        if input.generationId >= 0 || !input.memberId.isEmpty || input.groupInstanceId != nil {
            if isStaticMemberFenced(memberId: input.memberId, groupInstanceId: input.groupInstanceId) {
                return .fencedInstanceId
            }
            if !has(input.memberId) { return .unknownMemberId }
            if input.generationId != generationId { return .illegalGeneration }
            // The member got its JoinGroup answer but the assignment is not final yet.
            if state == .completingRebalance { return .rebalanceInProgress }
            return nil
        }
        return state == .empty ? nil : .unknownMemberId
    }

    mutating func commit(_ request: RequestID, _ input: OffsetCommitInput, _ ctx: inout GroupContext) {
        if let error = validateCommit(input) {
            let errors = Dictionary(input.offsets.map { ($0.topicPartition, error) }, uniquingKeysWith: { a, _ in a })
            ctx.respond(request, .commit(PartitionErrors(errors)))
            return
        }
        if has(input.memberId) {
            renewSession(input.memberId, &ctx)
        }
        writeCommit(request, input, &ctx)
    }

    /// Offsets past their retention, as Kafka decides it: for an empty consumer group, counted from
    /// when it emptied; for a stable consumer group, only topics it no longer subscribes to, from
    /// their commit; for standalone consumers, from the commit. Commits being written never expire.
    func expiredOffsets(now: Int64, retentionMs: Int64) -> [TopicPartition] {
        let base: (OffsetCommitValue) -> Int64
        var onlyTopicsOutside: Set<String>?
        if protocolType != nil && state == .empty {
            base = { [stateTimestamp] in stateTimestamp >= 0 ? stateTimestamp : $0.commitTimestamp }
        } else if protocolType == nil {
            base = { $0.commitTimestamp }
        } else if protocolType == "consumer", state == .stable, let topics = subscribedTopics() {
            base = { $0.commitTimestamp }
            onlyTopicsOutside = topics
        } else {
            return []
        }
        return offsets.compactMap { tp, value in
            if pendingCommits[tp] != nil { return nil }
            if let subscribed = onlyTopicsOutside, subscribed.contains(tp.topic) { return nil }
            let expired = value.expireTimestamp.map { now >= $0 } ?? (now - base(value) >= retentionMs)
            return expired ? tp : nil
        }.sorted()
    }
}

/// A group that holds committed offsets: classic and consumer groups keep theirs the same way.
protocol OffsetHolder {
    var groupId: String { get }
    var incarnation: UInt64 { get }
    var offsets: [TopicPartition: OffsetCommitValue] { get set }
    /// Partitions with a commit being written, and how many.
    var pendingCommits: [TopicPartition: Int] { get set }
}

extension Group: OffsetHolder {}
extension ConsumerGroup: OffsetHolder {}

extension OffsetHolder {
    /// Writes a commit that passed validation: its records are appended, and the offsets apply
    /// (and the request is answered) once they are in the log.
    mutating func writeCommit(_ request: RequestID, _ input: OffsetCommitInput, _ ctx: inout GroupContext) {
        var errors: [TopicPartition: ErrorCode] = [:]
        var values: [TopicPartition: OffsetCommitValue] = [:]
        var order: [TopicPartition] = []
        for entry in input.offsets {
            let tp = entry.topicPartition
            if (entry.metadata?.utf8.count ?? 0) > Int(ctx.config.offsetMetadataMaxBytes) {
                errors[tp] = .offsetMetadataTooLarge
                values.removeValue(forKey: tp)
                continue
            }
            if values[tp] == nil { order.append(tp) }
            errors.removeValue(forKey: tp)
            values[tp] = OffsetCommitValue(
                offset: entry.offset, leaderEpoch: entry.leaderEpoch, metadata: entry.metadata ?? "",
                commitTimestamp: entry.commitTimestamp ?? ctx.now,
                expireTimestamp: input.retentionTimeMs.map { ctx.now &+ $0 })
        }
        let records: [CoordinatorRecord] = order.compactMap { tp in
            values[tp].map { .offsetCommit(OffsetCommitKey(group: groupId, topic: tp.topic, partition: tp.partition), $0) }
        }
        if records.isEmpty {
            ctx.respond(request, .commit(PartitionErrors(errors)))
            return
        }
        for tp in values.keys {
            pendingCommits[tp, default: 0] += 1
        }
        ctx.append(records, for: .commit(request: request, group: groupId, incarnation: incarnation, offsets: values,
                                         errors: errors))
    }

    /// A commit's records are written (or not): apply them and forget they were pending.
    mutating func completeCommit(_ values: [TopicPartition: OffsetCommitValue], error: ErrorCode) {
        for tp in values.keys {
            if let count = pendingCommits[tp] {
                pendingCommits[tp] = count > 1 ? count - 1 : nil
            }
        }
        if error == .noError {
            offsets.merge(values) { _, new in new }
        }
    }

    /// The committed offsets asked for (-1 for partitions without one), or all of them sorted.
    func fetchOffsets(_ partitions: [TopicPartition]?) -> [(TopicPartition, CommittedOffset)] {
        func committed(_ v: OffsetCommitValue) -> CommittedOffset {
            CommittedOffset(offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata)
        }
        guard let partitions else {
            return offsets.keys.sorted().map { ($0, committed(offsets[$0]!)) }
        }
        return partitions.map { tp in (tp, offsets[tp].map(committed) ?? .none) }
    }

    /// Tombstones for these partitions' offsets.
    func offsetTombstones(_ partitions: some Sequence<TopicPartition>) -> [CoordinatorRecord] {
        partitions.map { .offsetCommit(OffsetCommitKey(group: groupId, topic: $0.topic, partition: $0.partition), nil) }
    }
}
