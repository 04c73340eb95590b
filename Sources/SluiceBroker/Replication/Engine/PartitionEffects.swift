import KafkaProtocol
import SluiceBase

/// What the replication engine asks its driver to do after a change: answer produce requests,
/// wake waiting fetches, kick fetchers, send AlterPartition. The broker's driver does it with
/// promises and NIO; the simulation records it. `Token` is the driver's handle on a produce
/// request (see ``ProduceWaiters``).
struct ReplicationEffects<Token: Sendable>: Sendable {
    /// Produce requests answered: appends that did not wait (acks 0 or 1, refused, or already
    /// committed) and `acks=all` waiters done waiting.
    var completions: [ProduceCompletion<Token>] = []
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
    var truncations: [ReplicaTruncation] = []

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

/// A follower cut its log's tail to match its leader's.
struct ReplicaTruncation: Sendable, Equatable {
    var topicPartition: TopicPartition
    var fromLogEnd: Int64
    var toOffset: Int64
    var highWatermarkBefore: Int64
}
