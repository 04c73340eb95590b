import KafkaProtocol
import struct SluiceStorage.TopicPartition

/// What the replication engine asks its driver to do after a change: complete produce requests,
/// wake waiting fetches, kick fetchers, send AlterPartition. The broker's driver does it with
/// promises and NIO; the simulation records it.
struct ReplicationEffects: Sendable {
    /// Produce requests done waiting (`acks=all`).
    var completions: [ProduceCompletion] = []
    /// Partitions whose high watermark advanced, with the bytes that became visible (an
    /// estimate, at least 1): consumer fetches waiting on them may be ready.
    var committed: [(TopicPartition, bytes: Int)] = []
    /// Partitions whose leader log grew: follower fetches waiting on them may be ready.
    var appended: [(TopicPartition, bytes: Int)] = []
    /// Source brokers whose fetcher has something new to fetch (partitions added or resumed).
    var fetchersToKick: Set<Int32> = []
    /// ISR changes for the AlterPartition queue (the engine moves them there).
    var proposals: [AlterPartitionQueue.Item] = []
    /// The AlterPartition queue has something to send.
    var alterPartitionPending = false
    /// Truncations done by followers (logged; checked by the simulation).
    var truncations: [Truncation] = []

    struct Truncation: Sendable, Equatable {
        var topicPartition: TopicPartition
        var fromLogEnd: Int64
        var toOffset: Int64
        var highWatermarkBefore: Int64
    }

    mutating func merge(_ other: ReplicationEffects) {
        completions += other.completions
        committed += other.committed
        appended += other.appended
        fetchersToKick.formUnion(other.fetchersToKick)
        proposals += other.proposals
        alterPartitionPending = alterPartitionPending || other.alterPartitionPending
        truncations += other.truncations
    }

    var isEmpty: Bool {
        completions.isEmpty && committed.isEmpty && appended.isEmpty && fetchersToKick.isEmpty
            && proposals.isEmpty && !alterPartitionPending && truncations.isEmpty
    }
}
