/// The node's role in its epoch with the role's own bookkeeping (timers, tallies, progress).
/// Large data (the log, snapshot bytes) lives on the node, not here, so that roles stay cheap to
/// copy when a handler updates them.
enum RoleState: Sendable {
    case unattached(UnattachedState)
    case prospective(ElectionState)
    case candidate(ElectionState)
    case leader(LeaderState)
    case follower(FollowerState)
    case resigned(ResignedState)

    var role: RaftRole {
        switch self {
        case .unattached: return .unattached
        case .prospective: return .prospective
        case .candidate: return .candidate
        case .leader: return .leader
        case .follower: return .follower
        case .resigned: return .resigned
        }
    }
}
