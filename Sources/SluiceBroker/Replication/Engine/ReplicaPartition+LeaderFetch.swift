import KafkaProtocol
import SluiceStorage

extension ReplicaPartition {
    /// A leader's answer to one partition of a follower's fetch.
    enum ReplicaFetchAnswer: Sendable {
        case error(ErrorCode, highWatermark: Int64, logStartOffset: Int64)
        /// The follower's log diverges after this epoch's end (it truncates and fetches again).
        case diverging(epoch: Int32, endOffset: Int64, highWatermark: Int64, logStartOffset: Int64)
        /// Records up to the log end; the result's high watermark is the leader's after this fetch.
        case records(LogReadResult)
    }

    /// Serves a follower's fetch (Kafka's `Partition.fetchRecords` for a replica): checks
    /// leadership and the epochs, finds divergence from `lastFetchedEpoch`, reads up to the log
    /// end, and records the follower's position (which may grow the ISR and the high watermark).
    /// All under the partition's lock, so the read and the checks see the same log.
    func serveReplicaFetch(replicaId: Int32, brokerEpoch: Int64, currentLeaderEpoch: Int32, fetchOffset: Int64,
                           lastFetchedEpoch: Int32, followerLogStartOffset: Int64, maxBytes: Int, minOneBatch: Bool,
                           now: Int64) -> (ReplicaFetchAnswer, Effects) {
        lock.withLock {
            guard case var .leader(leader) = role else {
                let code = Self.leaderCheck(currentLeaderEpoch: currentLeaderEpoch,
                                            knownEpoch: latestState?.leaderEpoch ?? -1, leads: false)
                return (.error(code, highWatermark: -1, logStartOffset: -1), Effects())
            }
            let end = log.logEndOffset
            let validation = leader.validateFetch(
                replicaId: replicaId, currentLeaderEpoch: currentLeaderEpoch, fetchOffset: fetchOffset,
                lastFetchedEpoch: lastFetchedEpoch, logStartOffset: log.logStartOffset, logEndOffset: end,
                latestLogged: log.latestLeaderEpoch, logged: { self.log.endOffset(forLeaderEpoch: $0) })
            switch validation {
            case let .error(code):
                return (.error(code, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset), Effects())
            case let .diverging(epoch, endOffset):
                return (.diverging(epoch: epoch, endOffset: endOffset, highWatermark: log.highWatermark,
                                   logStartOffset: log.logStartOffset), Effects())
            case .read:
                break
            }
            var result: LogReadResult
            do {
                result = try log.read(from: fetchOffset, maxBytes: maxBytes, maxOffset: end, minOneBatch: minOneBatch)
            } catch let error as StorageError {
                return (.error(error.errorCode, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset),
                        Effects())
            } catch {
                return (.error(.unknownServerError, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset),
                        Effects())
            }
            let update = leader.recordFollowerFetch(replicaId: replicaId, fetchOffset: fetchOffset,
                                                    followerLogStartOffset: followerLogStartOffset,
                                                    brokerEpoch: brokerEpoch, logEndOffset: end, now: now)
            role = .leader(leader)
            let effects = applyLocked(update, now: now)
            result.highWatermark = log.highWatermark
            return (.records(result), effects)
        }
    }

    /// Whether a client that believes the leader epoch is `currentLeaderEpoch` (-1: it sent none)
    /// may be served by this node as the partition's leader — consumer fetches, ListOffsets and
    /// OffsetForLeaderEpoch (Kafka's `Partition.localLogWithEpochOrThrow`): NO_ERROR when this
    /// node leads at that epoch; otherwise, epoch first, FENCED_LEADER_EPOCH (the client's epoch
    /// is older than the one this node knows), UNKNOWN_LEADER_EPOCH (newer), or
    /// NOT_LEADER_OR_FOLLOWER. Reads ``Leadership``, so it never waits for the partition's lock.
    func leaderCheck(currentLeaderEpoch: Int32) -> ErrorCode {
        let now = leadership.withLockedValue { $0 }
        return Self.leaderCheck(currentLeaderEpoch: currentLeaderEpoch, knownEpoch: now.knownEpoch, leads: now.leads)
    }

    static func leaderCheck(currentLeaderEpoch: Int32, knownEpoch: Int32, leads: Bool) -> ErrorCode {
        if currentLeaderEpoch >= 0 && currentLeaderEpoch > knownEpoch { return .unknownLeaderEpoch }
        if currentLeaderEpoch >= 0 && currentLeaderEpoch < knownEpoch { return .fencedLeaderEpoch }
        return leads ? .noError : .notLeaderOrFollower
    }

    /// OffsetForLeaderEpoch on the leader: the largest epoch not above `epoch` and its end offset
    /// (the leader's current epoch counts from its start even before it is logged). Nil:
    /// UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET.
    func leaderEndOffset(forEpoch epoch: Int32) -> (epoch: Int32, endOffset: Int64)? {
        lock.withLock {
            guard case let .leader(leader) = role else { return log.endOffset(forLeaderEpoch: epoch) }
            return leader.endOffset(forEpoch: epoch, logEndOffset: log.logEndOffset, latestLogged: log.latestLeaderEpoch,
                                    logged: { self.log.endOffset(forLeaderEpoch: $0) })
        }
    }

    /// Whether this broker may serve a consumer's fetch as a replica (KIP-392: leader or
    /// follower, for Fetch v11+), with the same epoch checks as ``leaderCheck(currentLeaderEpoch:)``.
    func replicaCheck(currentLeaderEpoch: Int32) -> ErrorCode {
        let now = leadership.withLockedValue { $0 }
        return Self.leaderCheck(currentLeaderEpoch: currentLeaderEpoch, knownEpoch: now.knownEpoch,
                                leads: now.leads || now.knownEpoch >= 0)
    }

    /// As the leader: the in-sync followers that hold `fetchOffset` (their log end past it, their
    /// log start not beyond it) and their log end offsets, the replicas that may serve a consumer
    /// instead (Kafka's `findPreferredReadReplica`). Nil when this broker does not lead.
    func readReplicaCandidates(fetchOffset: Int64) -> [(id: Int32, logEndOffset: Int64)]? {
        lock.withLock {
            guard case let .leader(leader) = role else { return nil }
            return leader.followers.values
                .filter { leader.isr.contains($0.replicaId) && $0.logEndOffset >= fetchOffset && $0.logStartOffset <= fetchOffset }
                .map { ($0.replicaId, $0.logEndOffset) }
        }
    }
}
