import KafkaProtocol
import SluiceBase

/// Transactional offset commits (TxnOffsetCommit, KIP-98): written to the log inside the
/// producer's transaction and kept aside until the transaction's marker reaches this partition —
/// a COMMIT makes them the group's committed offsets, an ABORT drops them — so that a consumer
/// sees the offsets of a consume-transform-produce transaction only if its output is committed.
extension GroupCoordinatorShard {
    mutating func txnCommit(_ request: RequestID, _ input: TxnOffsetCommitInput, _ ctx: inout GroupContext) {
        func refuse(_ error: ErrorCode) {
            let errors = Dictionary(input.offsets.map { ($0.topicPartition, error) }, uniquingKeysWith: { a, _ in a })
            ctx.respond(request, .commit(PartitionErrors(errors)))
        }
        // v3+ clients name their member and generation: checked as an OffsetCommit's would be.
        // Older ones name nobody and are not checked (as in Kafka).
        let named = input.generationId >= 0 || !input.memberId.isEmpty || input.groupInstanceId != nil
        let asCommit = OffsetCommitInput(groupId: input.groupId, generationId: input.generationId, memberId: input.memberId,
                                         groupInstanceId: input.groupInstanceId, offsets: input.offsets)
        if named, let group = groups[input.groupId], let error = group.validateCommit(asCommit) {
            return refuse(error)
        }
        if named, let group = consumerGroups[input.groupId], let (error, _) = group.validateCommit(asCommit) {
            return refuse(error)
        }
        if named, groups[input.groupId] == nil, consumerGroups[input.groupId] == nil, input.generationId >= 0 {
            return refuse(.illegalGeneration)
        }
        var errors: [TopicPartition: ErrorCode] = [:]
        var values: [TopicPartition: OffsetCommitValue] = [:]
        var order: [TopicPartition] = []
        for entry in input.offsets {
            let tp = entry.topicPartition
            if (entry.metadata?.utf8.count ?? 0) > Int(config.offsetMetadataMaxBytes) {
                errors[tp] = .offsetMetadataTooLarge
                values.removeValue(forKey: tp)
                continue
            }
            if values[tp] == nil { order.append(tp) }
            errors.removeValue(forKey: tp)
            values[tp] = OffsetCommitValue(offset: entry.offset, leaderEpoch: entry.leaderEpoch,
                                           metadata: entry.metadata ?? "", commitTimestamp: ctx.now, expireTimestamp: nil)
        }
        let records: [CoordinatorRecord] = order.compactMap { tp in
            values[tp].map { .offsetCommit(OffsetCommitKey(group: input.groupId, topic: tp.topic, partition: tp.partition), $0) }
        }
        guard !records.isEmpty else {
            ctx.respond(request, .commit(PartitionErrors(errors)))
            return
        }
        ctx.transactionalAppends.append((records, .txnCommit(request: request, producerId: input.producerId,
                                                              group: input.groupId, offsets: values, errors: errors),
                                         input.producerId, input.producerEpoch))
    }

    /// The producer's transaction ended in this partition: its pending offsets become committed
    /// (`commit`) or are dropped. A commit to a group not known yet creates it (without members),
    /// as an OffsetCommit from outside group management would.
    mutating func completeTransaction(producerId: Int64, commit: Bool, now: Int64) {
        guard let pending = transactionalOffsets.removeValue(forKey: producerId), commit else { return }
        for (groupId, values) in pending {
            if consumerGroups[groupId] != nil {
                consumerGroups[groupId]!.offsets.merge(values) { _, new in new }
            } else {
                if groups[groupId] == nil { _ = createGroup(groupId, now: now) }
                groups[groupId]!.offsets.merge(values) { _, new in new }
            }
        }
    }

    /// After a load: the offsets of transactions still open in the log.
    mutating func restoreTransactionalOffsets(_ pending: [Int64: [CoordinatorRecord]]) {
        for (producerId, records) in pending {
            for case let .offsetCommit(key, value?) in records {
                transactionalOffsets[producerId, default: [:]][key.group, default: [:]][TopicPartition(key.topic, key.partition)] = value
            }
        }
    }

    /// Whether a transaction holds a pending offset of `groupId` for `tp` (OffsetFetch v7+'s
    /// `require_stable` answers UNSTABLE_OFFSET_COMMIT then).
    func hasPendingTransactionalOffset(groupId: String, _ tp: TopicPartition) -> Bool {
        transactionalOffsets.values.contains { $0[groupId]?[tp] != nil }
    }
}

extension CoordinatorRecord {
    /// The coordinator records of `batches` with transactions resolved as Kafka's loader does:
    /// a committed transaction's offset commits take effect at its COMMIT marker, an aborted
    /// one's are dropped, and those of transactions still open are returned apart, by producer id.
    public static func decodeResolvingTransactions(_ batches: [RecordBatch]) throws
        -> (records: [CoordinatorRecord], open: [Int64: [CoordinatorRecord]]) {
        var out: [CoordinatorRecord] = []
        var open: [Int64: [CoordinatorRecord]] = [:]
        for batch in batches {
            if batch.isControl {
                guard let marker = EndTransactionMarker(controlBatch: batch) else { continue }
                let records = open.removeValue(forKey: batch.producerId) ?? []
                if marker.commit { out += records }
                continue
            }
            var decoded: [CoordinatorRecord] = []
            for record in try batch.records() {
                if let r = try CoordinatorRecord(key: record.key, value: record.value) { decoded.append(r) }
            }
            if batch.isTransactional {
                open[batch.producerId, default: []] += decoded
            } else {
                out += decoded
            }
        }
        return (out, open)
    }
}
