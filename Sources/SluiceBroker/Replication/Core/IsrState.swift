/// A leader's ISR: the one the controller committed, and the change it proposed and is waiting
/// on (KIP-497's "maximal ISR").
///
/// While a change is in flight the leader counts the union of both sets when it advances the
/// high watermark: a follower being added already holds back the watermark (so the watermark is
/// never above what the new ISR has), and a follower being removed still does (so the watermark
/// is never above what the old ISR has, in case the controller refuses). At most one change is in
/// flight per partition.
struct IsrState: Equatable, Sendable {
    /// The ISR the controller committed.
    private(set) var isr: [Int32]
    /// The controller's version of the partition that `isr` belongs to.
    private(set) var partitionEpoch: Int32
    /// The ISR proposed in an AlterPartition that has no answer yet.
    private(set) var pending: IsrProposal?

    init(isr: [Int32], partitionEpoch: Int32) {
        self.isr = isr
        self.partitionEpoch = partitionEpoch
    }

    var isInflight: Bool { pending != nil }

    /// The committed ISR with the proposed one: the set the high watermark waits for.
    var maximal: [Int32] {
        guard let pending else { return isr }
        return isr + pending.isr.filter { !isr.contains($0) }
    }

    /// Starts waiting on a proposal.
    mutating func propose(_ proposal: IsrProposal) {
        pending = proposal
    }

    /// The controller's state replaces ours (an AlterPartition answer or a metadata update).
    mutating func commit(isr: [Int32], partitionEpoch: Int32) {
        self.isr = isr
        self.partitionEpoch = partitionEpoch
        pending = nil
    }

    /// The proposal was refused for good (ineligible replica): back to the committed ISR.
    mutating func abandonPending() {
        pending = nil
    }
}

/// An ISR change a leader asks the controller for.
struct IsrProposal: Equatable, Sendable {
    /// Tells answers to this proposal from answers to earlier ones.
    var id: UInt64
    var isr: [Int32]
    var leaderEpoch: Int32
    /// The partition epoch the change builds on.
    var partitionEpoch: Int32
}
