/// How the controller cuts the records of one operation into metadata-log batches (one Raft entry
/// each): at most `maxRecordsPerBatch` records per batch, Kafka's `MAX_RECORDS_PER_BATCH`
/// (10,000), so that no entry is unboundedly large to persist, send, fetch or replay.
///
/// As in Kafka's `QuorumController.appendRecords`, a non-atomic operation (fencing a broker that
/// holds many partitions, a preferred-leader election) is simply cut: each batch is correct on its
/// own. An atomic one that does not fit one batch — a topic of 10,000 partitions is 10,001
/// records — is framed as a metadata transaction (KIP-868: `beginTransaction` … `endTransaction`),
/// which brokers apply whole when it ends (``MetadataLoader``), so no reader sees a topic with part
/// of its partitions. (Kafka refuses such a request instead: its atomic operations must fit one
/// batch, `MAX_RECORDS_PER_USER_OP`.)
enum MetadataBatches {
    /// Kafka's `QuorumController.MAX_RECORDS_PER_BATCH`.
    static let defaultMaxRecordsPerBatch = 10_000

    /// The batches for `records`, in order. `name` labels a transaction (logs).
    static func split(_ records: [MetadataRecord], atomic: Bool, name: String, maxRecordsPerBatch: Int) -> [[MetadataRecord]] {
        let limit = max(1, maxRecordsPerBatch)
        guard records.count > limit else { return records.isEmpty ? [] : [records] }
        let framed = atomic ? [.beginTransaction(name: name)] + records + [.endTransaction] : records
        return stride(from: 0, to: framed.count, by: limit).map { Array(framed[$0..<min($0 + limit, framed.count)]) }
    }
}
