import NIOConcurrencyHelpers
import SluiceBase
import SluiceStorage

/// Counts the ISR shrinks and expansions of the partitions this broker leads, as Kafka's
/// `IsrShrinksPerSec` / `IsrExpandsPerSec` do: from the committed registrations the metadata log
/// publishes (a leader hears of every change of its partitions' ISR, see
/// ``LocalPartitionChange/becomeLeader(_:isNewLeader:)``), one count per change, whatever its size.
final class IsrChangeCounter: PartitionStateListener, Sendable {
    private let metrics: BrokerMetrics
    /// The ISR of each partition led here, as last published.
    private let led = NIOLockedValueBox<[TopicPartition: Set<Int32>]>([:])

    init(metrics: BrokerMetrics) { self.metrics = metrics }

    func partitionsChanged(_ delta: LocalPartitionDelta) {
        var shrinks = 0, expands = 0
        led.withLockedValue { led in
            for change in delta.changes {
                switch change {
                case .becomeLeader(let p, let isNew):
                    let isr = Set(p.registration.isr)
                    if !isNew, let previous = led[p.topicPartition] {
                        if !previous.subtracting(isr).isEmpty { shrinks += 1 }
                        if !isr.subtracting(previous).isEmpty { expands += 1 }
                    }
                    led[p.topicPartition] = isr
                case .becomeFollower(let p, _):
                    led[p.topicPartition] = nil
                case .stopReplica(let tp, _, _):
                    led[tp] = nil
                }
            }
        }
        if shrinks > 0 { metrics.isrShrinks.increment(by: shrinks) }
        if expands > 0 { metrics.isrExpands.increment(by: expands) }
    }
}
