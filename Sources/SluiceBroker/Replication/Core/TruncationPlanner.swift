/// Where a follower truncates once the leader has told it the end of an epoch (KIP-101, KIP-279).
///
/// The leader answers for the follower's last epoch with the largest epoch it knows that is not
/// newer, and where that epoch ends in its log. The follower then looks the *leader's* epoch up
/// in its own log:
/// - it knows that epoch: the logs agree up to the smaller of the two end offsets: truncate
///   there, done;
/// - it does not (its log has only older epochs below it): truncate to the end of its own
///   largest older epoch, and ask again with that one (the next fetch does);
/// - it knows no epoch that old: the leader's end offset is the bound.
///
/// Never past the follower's own log end.
enum TruncationPlanner {
    struct Plan: Equatable, Sendable {
        var offset: Int64
        /// false: the logs may still diverge below `offset`; the next fetch checks again.
        var complete: Bool
    }

    /// - Parameters:
    ///   - leaderEpoch, leaderEndOffset: the leader's answer (a Fetch's diverging epoch, or
    ///     OffsetForLeaderEpoch's result).
    ///   - localEndOffset: this log's answer for `leaderEpoch` (storage's `endOffset(forLeaderEpoch:)`).
    static func plan(leaderEpoch: Int32, leaderEndOffset: Int64, logEndOffset: Int64,
                     localEndOffset: (epoch: Int32, endOffset: Int64)?) -> Plan {
        guard leaderEndOffset >= 0 else {
            // The leader knows no such epoch: keep the log (the leader's fetch validation decides).
            return Plan(offset: logEndOffset, complete: true)
        }
        guard leaderEpoch >= 0 else {
            return Plan(offset: min(leaderEndOffset, logEndOffset), complete: true)
        }
        guard let local = localEndOffset else {
            return Plan(offset: min(leaderEndOffset, logEndOffset), complete: true)
        }
        if local.epoch != leaderEpoch {
            return Plan(offset: min(local.endOffset, logEndOffset), complete: false)
        }
        return Plan(offset: min(local.endOffset, leaderEndOffset, logEndOffset), complete: true)
    }
}
