import KafkaProtocol

/// A partition this node follows, as its fetcher sees it: whom it fetches from, at which epoch,
/// and whether it is paused.
struct FollowerFetchState: Sendable, Equatable {
    var topicId: KafkaUUID
    var leaderId: Int32
    var leaderEpoch: Int32
    /// No fetch for this partition before this time (after an error).
    var delayedUntil: Int64 = 0
    /// Fetching stopped until the metadata moves on (the leader fenced our epoch).
    var stoppedBy: ErrorCode?

    init(topicId: KafkaUUID, leaderId: Int32, leaderEpoch: Int32) {
        self.topicId = topicId
        self.leaderId = leaderId
        self.leaderEpoch = leaderEpoch
    }

    func canFetch(now: Int64) -> Bool { stoppedBy == nil && delayedUntil <= now }
}

/// Where a follower's log stands, as the next fetch reports it.
struct FetchPosition: Sendable, Equatable {
    var fetchOffset: Int64
    /// The epoch of the log's last batch; -1 when the log knows none.
    var lastFetchedEpoch: Int32
    var logStartOffset: Int64
}

/// What a follower does with one partition of a fetch response.
enum FollowerFetchOutcome: Sendable, Equatable {
    /// Append the records (if any), then take the leader's high watermark and log start.
    case append(leaderHighWatermark: Int64, leaderLogStartOffset: Int64)
    /// The logs diverge: remove everything from `offset` on, then fetch again.
    case truncate(to: Int64)
    /// The leader no longer has our log end (retention moved its log start past it): empty the
    /// log and start again at the leader's log start.
    case restart(at: Int64)
    /// Try the partition again after `replica.fetch.backoff.ms`.
    case retryLater(ErrorCode)
    /// Stop fetching this partition until the metadata changes.
    case stop(ErrorCode)

    /// Decides from one partition's answer. `divergingEpoch` is the answer's (nil when absent),
    /// `localEndOffset` looks an epoch up in the follower's log.
    static func decide(error: ErrorCode, divergingEpoch: (epoch: Int32, endOffset: Int64)?, highWatermark: Int64,
                       leaderLogStartOffset: Int64, position: FetchPosition, logEndOffset: Int64,
                       localEndOffset: (Int32) -> (epoch: Int32, endOffset: Int64)?) -> FollowerFetchOutcome {
        switch error {
        case .noError:
            if let diverging = divergingEpoch {
                let plan = TruncationPlanner.plan(leaderEpoch: diverging.epoch, leaderEndOffset: diverging.endOffset,
                                                  logEndOffset: logEndOffset,
                                                  localEndOffset: localEndOffset(diverging.epoch))
                if plan.offset < logEndOffset { return .truncate(to: plan.offset) }
                // Nothing to cut (the leader already knows better): fetch again.
                return .retryLater(.noError)
            }
            return .append(leaderHighWatermark: highWatermark, leaderLogStartOffset: leaderLogStartOffset)
        case .offsetOutOfRange:
            if leaderLogStartOffset >= 0 && position.fetchOffset < leaderLogStartOffset {
                return .restart(at: leaderLogStartOffset)
            }
            // Past the leader's log end (or an epoch it cannot place): what is below the leader's
            // high watermark is committed and ours too; cut what is above it.
            if highWatermark >= 0 && highWatermark < logEndOffset {
                return .truncate(to: highWatermark)
            }
            return .retryLater(error)
        case .fencedLeaderEpoch:
            return .stop(error)
        default:
            return .retryLater(error)
        }
    }
}
