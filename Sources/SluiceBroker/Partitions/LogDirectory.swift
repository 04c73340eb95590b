import SluiceBase
import SluiceStorage

/// What the broker needs from the storage layer: the partition logs of this node.
///
/// `SluiceStorage.LogManager` is the real implementation (see `LogManager+LogDirectory.swift`);
/// unit tests use an in-memory one. Methods may block on disk I/O: call them off the event loops.
public protocol LogDirectory: Sendable {
    func log(for tp: TopicPartition) -> (any PartitionLog)?
    func getOrCreateLog(for tp: TopicPartition, config: LogConfig) throws -> any PartitionLog
    func deleteLog(for tp: TopicPartition) throws
    var allLogs: [TopicPartition: any PartitionLog] { get }
    func shutdown()
}
