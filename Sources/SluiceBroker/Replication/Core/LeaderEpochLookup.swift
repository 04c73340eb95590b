/// OffsetForLeaderEpoch as the leader answers it: the largest epoch not above the requested one
/// and where it ends.
///
/// The log's epoch cache learns an epoch only when the first batch of it is appended, but a new
/// leader must already answer for its epoch: a follower may hold batches of an epoch between
/// the leader's last logged epoch and its current one (a leader elected and replaced before this
/// one wrote anything), and must learn that those end where this leader's epoch starts. So the
/// leader's current epoch counts as starting at `epochStartOffset` even before it is logged
/// (Kafka caches it at election for the same reason).
enum LeaderEpochLookup {
    /// - Parameters:
    ///   - requested: the epoch asked about.
    ///   - currentEpoch: the leader's epoch; `epochStartOffset`: the log end when it began.
    ///   - logged: the log's own answer (nil when the log knows no epoch <= `requested`, or it is
    ///     above the log's latest epoch); `latestLogged`: the log's latest epoch.
    /// - Returns: nil for UNDEFINED (a negative or future epoch).
    static func endOffset(requested: Int32, currentEpoch: Int32, epochStartOffset: Int64, logEndOffset: Int64,
                          latestLogged: Int32?, logged: (Int32) -> (epoch: Int32, endOffset: Int64)?)
        -> (epoch: Int32, endOffset: Int64)? {
        guard requested >= 0, requested <= currentEpoch else { return nil }
        if requested == currentEpoch { return (currentEpoch, logEndOffset) }
        if let latest = latestLogged, latest < currentEpoch, requested >= latest {
            // Nothing of the current epoch is logged yet, so the log ends where it starts.
            return (latest, epochStartOffset)
        }
        if latestLogged == nil {
            return (requested, epochStartOffset)
        }
        return logged(requested)
    }
}
