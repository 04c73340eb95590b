// BeginQuorumEpoch (a new leader announces itself) and EndQuorumEpoch (a leader resigns).

extension RaftNode {
    /// Announces this leader to every voter that has neither acknowledged nor fetched yet,
    /// re-sending after the request timeout.
    mutating func sendBeginQuorumEpoch() {
        guard case .leader(var leader) = state else { return }
        for voter in leader.unacknowledged.sorted()
        where hasTimedOut(leader.beginInflight[voter], after: config.requestTimeoutTicks) {
            let request = RaftMessage.BeginQuorumEpochRequest(voterID: voter, leaderID: config.nodeID, leaderEpoch: quorum.epoch)
            leader.beginInflight[voter] = sendRequest(to: voter, .beginQuorumEpochRequest(request))
        }
        state = .leader(leader)
    }

    mutating func handleBeginQuorumEpochRequest(
        from: Int32, correlationID: Int32, _ request: RaftMessage.BeginQuorumEpochRequest
    ) {
        func respond(_ node: inout RaftNode, _ error: RaftErrorCode) {
            let response = RaftMessage.BeginQuorumEpochResponse(
                errorCode: error, leaderID: node.knownLeaderID, leaderEpoch: node.quorum.epoch
            )
            node.sendResponse(to: from, correlationID: correlationID, .beginQuorumEpochResponse(response))
        }
        guard request.leaderID == from, request.leaderEpoch >= 0 else {
            respond(&self, .invalidRequest)
            return
        }
        guard voters.contains(request.leaderID) else {
            respond(&self, .inconsistentVoterSet)
            return
        }
        if request.leaderEpoch < quorum.epoch {
            respond(&self, .fencedLeaderEpoch)
            return
        }
        if request.leaderEpoch > quorum.epoch {
            becomeFollower(leaderID: request.leaderID, epoch: request.leaderEpoch)
        } else {
            switch state {
            case .follower(let follower) where follower.leaderID == request.leaderID:
                break
            case .leader, .resigned:
                recordViolation("node \(from) announced itself leader of epoch \(request.leaderEpoch), which this node leads")
                respond(&self, .invalidRequest)
                return
            default:
                // Including a prospective node that doubted this leader: the leader is alive.
                becomeFollower(leaderID: request.leaderID, epoch: request.leaderEpoch)
            }
        }
        if request.voterID >= 0 && request.voterID != config.nodeID {
            respond(&self, .invalidVoterKey)
            return
        }
        respond(&self, .none)
    }

    mutating func handleBeginQuorumEpochResponse(
        from: Int32, correlationID: Int32, _ response: RaftMessage.BeginQuorumEpochResponse
    ) {
        if response.leaderEpoch > quorum.epoch {
            observeLeader(epoch: response.leaderEpoch, leaderID: response.leaderID)
            return
        }
        guard case .leader(var leader) = state, leader.beginInflight[from]?.correlationID == correlationID else { return }
        leader.beginInflight[from] = nil
        if response.errorCode == .none && response.leaderEpoch == quorum.epoch {
            leader.unacknowledged.remove(from)
        }
        state = .leader(leader)
    }

    /// Tells the voters this (resigned) leader is gone, re-sending until each acknowledges.
    mutating func sendEndQuorumEpoch() {
        guard case .resigned(var resigned) = state else { return }
        for voter in resigned.unacknowledged.sorted()
        where hasTimedOut(resigned.inflight[voter], after: config.requestTimeoutTicks) {
            let request = RaftMessage.EndQuorumEpochRequest(
                leaderID: config.nodeID, leaderEpoch: quorum.epoch, preferredCandidates: resigned.preferredCandidates
            )
            resigned.inflight[voter] = sendRequest(to: voter, .endQuorumEpochRequest(request))
        }
        state = .resigned(resigned)
    }

    mutating func handleEndQuorumEpochRequest(from: Int32, correlationID: Int32, _ request: RaftMessage.EndQuorumEpochRequest) {
        func respond(_ node: inout RaftNode, _ error: RaftErrorCode) {
            let response = RaftMessage.EndQuorumEpochResponse(
                errorCode: error, leaderID: node.knownLeaderID, leaderEpoch: node.quorum.epoch
            )
            node.sendResponse(to: from, correlationID: correlationID, .endQuorumEpochResponse(response))
        }
        guard request.leaderID == from, request.leaderEpoch >= 0 else {
            respond(&self, .invalidRequest)
            return
        }
        guard voters.contains(request.leaderID) else {
            respond(&self, .inconsistentVoterSet)
            return
        }
        if request.leaderEpoch < quorum.epoch {
            respond(&self, .fencedLeaderEpoch)
            return
        }
        observeLeader(epoch: request.leaderEpoch, leaderID: request.leaderID)
        if case .follower(var follower) = state, follower.leaderID == request.leaderID, quorum.epoch == request.leaderEpoch {
            // The leader is going away: grant pre-votes from now on, and start an election after a
            // backoff that favours the most up-to-date voters.
            follower.hasFetchedFromLeader = false
            let candidates = request.preferredCandidates
            let position = candidates.firstIndex(of: config.nodeID) ?? candidates.count
            let backoff = strictExponentialBackoff(position: position, candidates: candidates.count)
            follower.fetchDeadline = min(follower.fetchDeadline, now + backoff)
            state = .follower(follower)
            if backoff == 0 {
                followerFetchTimedOut()
            }
        }
        respond(&self, .none)
    }

    mutating func handleEndQuorumEpochResponse(from: Int32, correlationID: Int32, _ response: RaftMessage.EndQuorumEpochResponse) {
        if response.leaderEpoch > quorum.epoch {
            observeLeader(epoch: response.leaderEpoch, leaderID: response.leaderID)
            return
        }
        guard case .resigned(var resigned) = state, resigned.inflight[from]?.correlationID == correlationID else { return }
        resigned.inflight[from] = nil
        if response.errorCode == .none {
            resigned.unacknowledged.remove(from)
        }
        state = .resigned(resigned)
    }
}
