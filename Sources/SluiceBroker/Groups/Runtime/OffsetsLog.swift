import KafkaProtocol

/// What the group coordinator needs from the partitions of `__consumer_offsets` it leads.
///
/// The broker's implementation appends through the same path as produce (validation, the
/// partition's append queue, the high watermark, waking fetches), so commits are visible to
/// anything reading the topic, Burrow included.
public protocol OffsetsLog: Sendable {
    /// Appends one batch to partition `partition` as its leader and calls `completion` with
    /// `.noError` once it is in the log (or the error). The coordinator never has two appends of
    /// one partition in flight, so their order is the order of the calls.
    func append(_ batch: RecordBatch, toPartition partition: Int32,
                completion: @escaping @Sendable (ErrorCode) -> Void)

    /// Every batch of partition `partition`, from its log start to its end, in order. Blocking
    /// (disk reads): the coordinator calls it off the event loops.
    func readAll(partition: Int32) throws -> [RecordBatch]
}
