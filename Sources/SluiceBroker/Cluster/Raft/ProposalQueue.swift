import NIOConcurrencyHelpers
import SluiceRaft

/// The hand-over of proposals from the controller (on the application queue) to the Raft queue,
/// like Kafka's `BatchAccumulator`: the controller gets each batch's offset at once, without
/// waiting for the Raft queue (which may be in the middle of an fsync), and the Raft queue appends
/// the batches to the log in that order.
///
/// Open only while this node leads, for that epoch: offsets continue the leader's log, where nothing
/// else is appended during an epoch. A proposal made for another epoch is refused (NOT_CONTROLLER);
/// one still waiting when the leadership ends is dropped (its controller hears of the change and
/// fails the request).
final class ProposalQueue: Sendable {
    struct Proposal: Sendable {
        var position: OffsetAndEpoch
        var payload: [UInt8]
    }

    private struct State {
        /// The epoch this node leads (nil: not the leader).
        var epoch: Int32?
        var nextOffset: Int64 = 0
        var waiting: [Proposal] = []
    }

    private let state = NIOLockedValueBox(State())

    /// The Raft queue tells the node's role after each step: leading `leaderEpoch` with its log
    /// ending at `logEnd`, or not leading (nil). A new epoch starts at `logEnd`.
    func sync(leaderEpoch: Int32?, logEnd: Int64) {
        state.withLockedValue { state in
            guard state.epoch != leaderEpoch else { return }
            state.epoch = leaderEpoch
            state.nextOffset = logEnd
            state.waiting.removeAll()
        }
    }

    /// Whether this node leads `epoch`.
    func isOpen(epoch: Int32) -> Bool { state.withLockedValue { $0.epoch == epoch } }

    /// Queues `payloads` as consecutive entries of `epoch`, returning their positions, and whether
    /// the queue was empty before (then the caller schedules a ``drain()``; otherwise one is
    /// already due and takes these too).
    func append(_ payloads: [[UInt8]], epoch: Int32) throws(RaftError) -> (positions: [OffsetAndEpoch], wasEmpty: Bool) {
        let appended = state.withLockedValue { state -> (positions: [OffsetAndEpoch], wasEmpty: Bool)? in
            guard state.epoch == epoch else { return nil }
            let wasEmpty = state.waiting.isEmpty
            let positions = payloads.map { payload in
                let position = OffsetAndEpoch(offset: state.nextOffset, epoch: epoch)
                state.nextOffset += 1
                state.waiting.append(Proposal(position: position, payload: payload))
                return position
            }
            return (positions, wasEmpty)
        }
        guard let appended else {
            throw RaftError(.notLeader(LeaderAndEpoch(leaderID: nil, epoch: epoch)), "not the leader of epoch \(epoch)")
        }
        return appended
    }

    /// Takes the waiting proposals, oldest first (the Raft queue appends them).
    func drain() -> [Proposal] {
        state.withLockedValue { state in
            defer { state.waiting.removeAll() }
            return state.waiting
        }
    }
}
