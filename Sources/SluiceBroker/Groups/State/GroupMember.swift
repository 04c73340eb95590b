import NIOCore

/// A member of a classic group, as the coordinator tracks it.
struct GroupMember: Sendable, Equatable {
    var memberId: String
    var groupInstanceId: String?
    var clientId: String
    var clientHost: String
    var rebalanceTimeoutMs: Int32
    var sessionTimeoutMs: Int32
    var protocolType: String
    /// In the member's order of preference.
    var protocols: [GroupProtocol]
    /// From the leader's last SyncGroup; empty between a rebalance's start and its end.
    var assignment: ByteBuffer = ByteBuffer()

    /// The member's JoinGroup waiting for the rebalance to finish.
    var pendingJoin: PendingJoin?
    /// The member's SyncGroup waiting for the leader's assignment.
    var pendingSync: RequestID?
    /// True from the member's first join until that rebalance completes: a new member's join may
    /// wait only `newMemberJoinTimeoutMs`, as it cannot heartbeat meanwhile.
    var isNew = false

    /// The member is removed if nothing renews this by then (heartbeat, commit, completed join).
    var sessionDeadline: Int64 = 0
    /// When the session timer the runtime holds for this member fires; nil when none.
    var timerDeadline: Int64?

    struct PendingJoin: Sendable, Equatable {
        var request: RequestID
        var supportsSkipAssignment: Bool
    }

    var isStatic: Bool { groupInstanceId != nil }

    /// The member's metadata for `protocol`, if it supports it.
    func metadata(for protocolName: String) -> ByteBuffer? {
        protocols.first(where: { $0.name == protocolName })?.metadata
    }

    /// Same protocols, same metadata, same order: rejoining with these changes nothing.
    func matches(_ other: [GroupProtocol]) -> Bool {
        protocols == other
    }

    /// Whether the session timer may drop the member now. Members waiting in a rebalance are kept
    /// (the rebalance's own timeouts handle them), except new members, whose deadline is the
    /// join timeout.
    func shouldExpire(now: Int64) -> Bool {
        if now < sessionDeadline { return false }
        if isNew { return true }
        return pendingJoin == nil && pendingSync == nil
    }
}
