/// The states of a classic group, with Kafka's names (DescribeGroups and ListGroups show them).
public enum GroupState: String, Sendable, CaseIterable {
    /// No members; the group may still hold committed offsets.
    case empty = "Empty"
    /// A rebalance started: waiting for members to (re)join.
    case preparingRebalance = "PreparingRebalance"
    /// Everyone joined: waiting for the leader's assignment in SyncGroup.
    case completingRebalance = "CompletingRebalance"
    /// Members have their assignments and heartbeat.
    case stable = "Stable"
    /// Removed; only shown for groups the coordinator does not know.
    case dead = "Dead"
}
