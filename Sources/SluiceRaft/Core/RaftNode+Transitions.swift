// Role transitions (KRaft's QuorumState transitions). Every change to the election state goes
// through `setQuorum`, so the next Ready persists it before any message that depends on it.

extension RaftNode {
    /// Moves to a newer epoch with no vote and no leader.
    mutating func becomeUnattached(epoch: Int32) {
        setQuorum(QuorumState(epoch: epoch))
        enterUnattached(keepingVote: false)
    }

    /// Stays in the current epoch, forgets its leader (keeping any vote), and waits.
    mutating func enterUnattached(keepingVote: Bool) {
        download = nil
        setQuorum(QuorumState(epoch: quorum.epoch, votedID: keepingVote ? quorum.votedID : nil, leaderID: nil))
        state = .unattached(UnattachedState(electionDeadline: now + randomElectionTimeout()))
        if config.isVoter && voters.count == 1 {
            // A lone voter needs nobody's agreement.
            becomeProspective()
        }
    }

    /// Follows `leaderID` in `epoch` (>= the current epoch). The first Fetch goes out from
    /// `driveFetching` at the end of the current input.
    mutating func becomeFollower(leaderID: Int32, epoch: Int32) {
        download = nil
        let voted = epoch == quorum.epoch ? quorum.votedID : nil
        setQuorum(QuorumState(epoch: epoch, votedID: voted, leaderID: leaderID))
        state = .follower(FollowerState(leaderID: leaderID, fetchDeadline: now + Int64(config.fetchTimeoutTicks)))
        electionRetries = 0
    }

    /// KIP-996: polls the voters without changing the epoch. Only with a majority of pre-votes
    /// does the node bump the epoch, so a node that cannot reach the quorum never disrupts it.
    mutating func becomeProspective() {
        guard config.isVoter else { return }
        download = nil
        let priorLeader = quorum.leaderID == config.nodeID ? nil : quorum.leaderID
        state = .prospective(
            ElectionState(epoch: quorum.epoch, selfID: config.nodeID, deadline: now + randomElectionTimeout(), priorLeader: priorLeader)
        )
        if voters.majority <= 1 {
            becomeCandidate()
        } else {
            sendVoteRequests()
        }
    }

    /// Bumps the epoch and votes for itself; the vote is persisted before the requests leave.
    mutating func becomeCandidate() {
        guard quorum.epoch < Int32.max else {
            recordViolation("epoch space exhausted")
            return
        }
        electionRetries += 1
        setQuorum(QuorumState(epoch: quorum.epoch + 1, votedID: config.nodeID, leaderID: nil))
        state = .candidate(
            ElectionState(epoch: quorum.epoch, selfID: config.nodeID, deadline: now + randomElectionTimeout(), priorLeader: nil)
        )
        if voters.majority <= 1 {
            becomeLeader(grantingVoters: [config.nodeID])
        } else {
            sendVoteRequests()
        }
    }

    /// Takes the epoch: writes the leader-change record at the epoch's start and announces
    /// itself with BeginQuorumEpoch.
    mutating func becomeLeader(grantingVoters: Set<Int32>) {
        setQuorum(QuorumState(epoch: quorum.epoch, votedID: quorum.votedID, leaderID: config.nodeID))
        let epochStart = log.endOffset
        let change = LeaderChange(leaderID: config.nodeID, voters: voters.ids, grantingVoters: grantingVoters.sorted())
        appendLocal(LogEntry(offset: epochStart, epoch: quorum.epoch, payload: .leaderChange(change)))
        let others = Set(voters.ids.filter { $0 != config.nodeID })
        state = .leader(
            LeaderState(
                epochStartOffset: epochStart,
                progress: ReplicaProgress(voters: voters),
                checkQuorumDeadline: now + Int64(config.checkQuorumTicks),
                unacknowledged: others
            )
        )
        electionRetries = 0
        download = nil
        sendBeginQuorumEpoch()
    }

    /// Gives up the epoch. `preferredCandidates` nil: computed from the leader's progress.
    mutating func becomeResigned(preferredCandidates: [Int32]?) {
        var preferred = preferredCandidates ?? []
        if preferredCandidates == nil, case .leader(let leader) = state {
            preferred = leader.progress.preferredSuccessors(excluding: config.nodeID)
        }
        download = nil
        state = .resigned(
            ResignedState(
                deadline: now + Int64(config.electionTimeoutTicks),
                unacknowledged: Set(voters.ids.filter { $0 != config.nodeID }),
                preferredCandidates: preferred
            )
        )
        sendEndQuorumEpoch()
    }

    /// Reacts to a peer's view of the epoch and leader, carried by every response and by the
    /// leader's requests: a newer epoch is adopted at once; a leader for the current epoch that
    /// this node did not know yet is followed.
    mutating func observeLeader(epoch: Int32, leaderID: Int32?) {
        if epoch > quorum.epoch {
            if let leaderID, leaderID != config.nodeID {
                becomeFollower(leaderID: leaderID, epoch: epoch)
            } else {
                becomeUnattached(epoch: epoch)
            }
            return
        }
        guard epoch == quorum.epoch, let leaderID, leaderID != config.nodeID else { return }
        switch state {
        case .leader, .resigned:
            recordViolation("node \(leaderID) claims to lead epoch \(epoch), which this node leads")
        case .follower(let follower) where follower.leaderID == leaderID:
            return
        default:
            // A prospective node that already knew this leader keeps polling (its fetches failed);
            // anyone else has just learnt the epoch's leader.
            if quorum.leaderID != leaderID {
                becomeFollower(leaderID: leaderID, epoch: epoch)
            }
        }
    }

    /// A pre-vote or vote round ran out of time.
    mutating func electionRoundExpired() {
        switch state {
        case .prospective(let election):
            if let leader = election.priorLeader {
                becomeFollower(leaderID: leader, epoch: quorum.epoch)
            } else {
                enterUnattached(keepingVote: true)
            }
        case .candidate:
            becomeProspective()
        default:
            return
        }
    }

    /// A follower heard nothing from its leader for the fetch timeout.
    mutating func followerFetchTimedOut() {
        if config.isVoter {
            becomeProspective()
        } else {
            enterUnattached(keepingVote: true)
        }
    }

    /// Backoff after a lost vote: binary exponential in the retry count, capped (KRaft's
    /// `binaryExponentialElectionBackoffMs`).
    mutating func electionBackoff() -> Int64 {
        let shift = min(20, max(0, electionRetries - 1))
        let bound = min(config.retryBackoffTicks << shift, config.electionBackoffMaxTicks)
        return Int64(1 + random.below(max(1, bound)))
    }

    /// EndQuorumEpoch's backoff: the first preferred candidate starts at once, later ones wait
    /// exponentially longer (KRaft's `strictExponentialElectionBackoffMs`).
    func strictExponentialBackoff(position: Int, candidates: Int) -> Int64 {
        if position == 0 { return 0 }
        let maxBackoff = config.electionBackoffMaxTicks
        guard position < candidates else { return Int64(maxBackoff) }
        let base = max(1, maxBackoff >> min(30, candidates - 1))
        return Int64(min(maxBackoff, base << min(30, position - 1)))
    }
}
