import SluiceRaft

/// What the Raft driver hands its application (the metadata log, and through it the
/// controller). Every call comes on the driver's application queue (``RaftApplicationQueue``),
/// one at a time, in log order — never on the Raft queue, which goes on meanwhile. An
/// application may call the driver's `propose` and `takeSnapshot` from here.
protocol RaftApplication: AnyObject, Sendable {
    /// Replace all state with the snapshot's (before any later entry is applied).
    func restore(_ snapshot: RaftSnapshot, driver: RaftDriver)
    /// Entries now committed, in offset order, each once per process lifetime.
    func apply(_ entries: [LogEntry], driver: RaftDriver)
    /// The known leader or epoch changed.
    func leaderChanged(_ leader: LeaderAndEpoch, driver: RaftDriver)
    /// Called every tick (controller timers: leases, rebalancing).
    func tick(nowMs: Int64, driver: RaftDriver)
}
