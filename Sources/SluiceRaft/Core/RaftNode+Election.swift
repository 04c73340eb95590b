// Vote and pre-vote (KIP-595 elections with KIP-996 pre-vote).

extension RaftNode {
    /// Sends (or re-sends, after the request timeout) this round's requests to every voter that
    /// has not answered.
    mutating func sendVoteRequests() {
        let preVote: Bool
        var election: ElectionState
        switch state {
        case .prospective(let e): (preVote, election) = (true, e)
        case .candidate(let e): (preVote, election) = (false, e)
        default: return
        }
        for voter in voters.ids where voter != config.nodeID {
            guard !election.granted.contains(voter), !election.rejected.contains(voter),
                hasTimedOut(election.inflight[voter], after: config.requestTimeoutTicks)
            else { continue }
            let request = RaftMessage.VoteRequest(
                candidateEpoch: election.epoch, candidateID: config.nodeID, voterID: voter,
                lastOffsetEpoch: log.lastEpoch, lastOffset: log.endOffset, preVote: preVote
            )
            election.inflight[voter] = sendRequest(to: voter, .voteRequest(request))
        }
        state = preVote ? .prospective(election) : .candidate(election)
    }

    mutating func handleVoteRequest(from: Int32, correlationID: Int32, _ request: RaftMessage.VoteRequest) {
        func respond(_ node: inout RaftNode, _ error: RaftErrorCode, granted: Bool = false) {
            let response = RaftMessage.VoteResponse(
                errorCode: error, leaderID: node.knownLeaderID, leaderEpoch: node.quorum.epoch, voteGranted: granted
            )
            node.sendResponse(to: from, correlationID: correlationID, .voteResponse(response))
        }
        // For a real vote the candidate has already bumped its epoch past its last record; a
        // pre-vote keeps the current epoch, which its log may already contain.
        let illegalEpoch = request.preVote
            ? request.lastOffsetEpoch > request.candidateEpoch
            : request.lastOffsetEpoch >= request.candidateEpoch
        guard request.candidateID == from, request.lastOffset >= 0, request.lastOffsetEpoch >= 0, !illegalEpoch else {
            respond(&self, .invalidRequest)
            return
        }
        guard config.isVoter, voters.contains(request.candidateID) else {
            respond(&self, .inconsistentVoterSet)
            return
        }
        if request.candidateEpoch < quorum.epoch {
            respond(&self, .fencedLeaderEpoch)
            return
        }
        if request.candidateEpoch > quorum.epoch {
            becomeUnattached(epoch: request.candidateEpoch)
        }
        if request.voterID >= 0 && request.voterID != config.nodeID {
            respond(&self, .invalidVoterKey)
            return
        }
        let candidateEnd = OffsetAndEpoch(offset: request.lastOffset, epoch: request.lastOffsetEpoch)
        let upToDate = candidateEnd >= log.lastOffsetAndEpoch
        let granted = canGrantVote(to: request.candidateID, logUpToDate: upToDate, preVote: request.preVote)
        if granted && !request.preVote && quorum.votedID == nil {
            setQuorum(QuorumState(epoch: quorum.epoch, votedID: request.candidateID, leaderID: nil))
            if case .unattached(var unattached) = state {
                // Having voted, give the candidate a full election timeout to win.
                unattached.electionDeadline = now + randomElectionTimeout()
                state = .unattached(unattached)
            }
        }
        respond(&self, .none, granted: granted)
    }

    /// KRaft's `canGrantVote` per state. A vote is binding: one candidate per epoch, persisted.
    /// A pre-vote is not, but a follower that hears from a live leader refuses it.
    func canGrantVote(to candidate: Int32, logUpToDate: Bool, preVote: Bool) -> Bool {
        switch state {
        case .leader:
            return false
        case .follower(let follower):
            return preVote && !follower.hasFetchedFromLeader && logUpToDate
        case .resigned:
            return preVote && logUpToDate
        case .unattached, .prospective, .candidate:
            if preVote { return logUpToDate }
            if let voted = quorum.votedID { return voted == candidate }
            if quorum.leaderID != nil { return false }
            return logUpToDate
        }
    }

    mutating func handleVoteResponse(from: Int32, correlationID: Int32, _ response: RaftMessage.VoteResponse) {
        if response.leaderEpoch > quorum.epoch {
            observeLeader(epoch: response.leaderEpoch, leaderID: response.leaderID)
            return
        }
        let isPreVote: Bool
        var election: ElectionState
        switch state {
        case .prospective(let e): (isPreVote, election) = (true, e)
        case .candidate(let e): (isPreVote, election) = (false, e)
        default:
            if response.leaderEpoch == quorum.epoch {
                observeLeader(epoch: response.leaderEpoch, leaderID: response.leaderID)
            }
            return
        }
        guard let inflight = election.inflight[from], inflight.correlationID == correlationID else { return }
        election.inflight[from] = nil
        let granted = response.errorCode == .none && response.voteGranted && response.leaderEpoch == election.epoch
        if granted {
            election.granted.insert(from)
        } else {
            election.rejected.insert(from)
        }
        let lost = election.rejected.count > voters.count - voters.majority
        if lost && !granted {
            // Nobody left who could make a majority: back off instead of waiting out the timeout.
            election.deadline = min(election.deadline, now + electionBackoff())
        }
        state = isPreVote ? .prospective(election) : .candidate(election)

        if response.leaderEpoch == quorum.epoch, let leader = response.leaderID {
            observeLeader(epoch: response.leaderEpoch, leaderID: leader)
        }
        switch state {
        case .prospective where isPreVote, .candidate where !isPreVote: break
        default: return  // the round is over: the response revealed the epoch's leader
        }
        guard election.granted.count >= voters.majority else { return }
        if isPreVote {
            becomeCandidate()
        } else {
            becomeLeader(grantingVoters: election.granted)
        }
    }
}
