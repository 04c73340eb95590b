import SluiceRaft

/// One simulated machine: a Raft node (absent while crashed), its durable store (survives
/// crashes), its application, and its clock.
final class SimNode {
    let id: Int32
    var raft: RaftNode?
    var store = MemoryRaftStore()
    var app = SimStateMachine()
    /// Bumped at every crash, so events scheduled for an earlier life are ignored.
    var incarnation = 0
    /// This machine's tick length in simulated milliseconds: skewed clocks tick at different rates.
    var tickMillis: Int64
    /// The high watermark last seen in this life (it must never go down).
    var lastHighWatermark: Int64 = 0
    var lastStoredEpoch: Int32 = 0

    init(id: Int32, tickMillis: Int64) {
        self.id = id
        self.tickMillis = tickMillis
    }

    var isUp: Bool { raft != nil }

    /// The status of a running node.
    var status: RaftStatus? { raft?.status }
}

/// The simulated network's settings, which faults change as a run goes.
struct SimNetworkSettings {
    var minLatency: Int64 = 1
    var maxLatency: Int64 = 20
    var lossRate = 0.0
    var duplicateRate = 0.0
}
