import SluiceRaft

/// What the Raft driver hands its application (the metadata log, and through it the
/// controller). Every call comes from the driver's queue with the driver's lock held, in log
/// order: an application may call the driver's `…Locked` methods (propose, snapshot) from here.
protocol RaftApplication: AnyObject {
    /// Replace all state with the snapshot's (before any later entry is applied).
    func restore(_ snapshot: RaftSnapshot, driver: RaftDriver)
    /// Entries now committed, in offset order, each once per process lifetime.
    func apply(_ entries: [LogEntry], driver: RaftDriver)
    /// The known leader or epoch changed.
    func leaderChanged(_ leader: LeaderAndEpoch, driver: RaftDriver)
    /// Called every tick, after the node's own tick (controller timers: leases, rebalancing).
    func tick(nowMs: Int64, driver: RaftDriver)
}
