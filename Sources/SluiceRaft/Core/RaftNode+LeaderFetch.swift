// The leader's side of replication: serving Fetch and FetchSnapshot, tracking progress,
// advancing the high watermark, checking quorum.

extension RaftNode {
    /// The error a leader-only request gets when this node is not the leader of its epoch.
    func leaderOnlyError(requestEpoch: Int32) -> RaftErrorCode? {
        if requestEpoch < quorum.epoch { return .fencedLeaderEpoch }
        if requestEpoch > quorum.epoch { return .unknownLeaderEpoch }
        if case .leader = state { return nil }
        return .notLeaderOrFollower
    }

    mutating func leaderTick() {
        guard case .leader(var leader) = state else { return }
        if voters.count > 1 && now >= leader.checkQuorumDeadline {
            // No majority has fetched for 1.5 fetch timeouts: this leader may be partitioned away
            // and a new one elected; stop acting as leader.
            becomeResigned(preferredCandidates: nil)
            return
        }
        let expired = leader.parkedFetches.filter { $0.value.deadline <= now }
        for replica in expired.keys { leader.parkedFetches[replica] = nil }
        state = .leader(leader)
        for (replica, parked) in expired.sorted(by: { $0.key < $1.key }) {
            answerFetch(to: replica, correlationID: parked.correlationID, parked.request)
        }
        sendBeginQuorumEpoch()
    }

    /// Notes that voter `replica` fetched in this epoch: acknowledges the epoch and feeds the
    /// check-quorum timer.
    mutating func noteVoterContact(_ replica: Int32) {
        guard case .leader(var leader) = state, voters.contains(replica) else { return }
        leader.unacknowledged.remove(replica)
        leader.fetchedSinceCheck.insert(replica)
        if leader.fetchedSinceCheck.count + 1 >= voters.majority {
            leader.fetchedSinceCheck.removeAll()
            leader.checkQuorumDeadline = now + Int64(config.checkQuorumTicks)
        }
        state = .leader(leader)
    }

    mutating func handleFetchRequest(from: Int32, correlationID: Int32, _ request: RaftMessage.FetchRequest) {
        guard request.replicaID == from, request.fetchOffset >= 0, request.lastFetchedEpoch >= 0,
            request.lastFetchedEpoch <= request.currentLeaderEpoch, request.maxWaitTicks >= 0
        else {
            replyFetchError(to: from, correlationID: correlationID, .invalidRequest)
            return
        }
        if let error = leaderOnlyError(requestEpoch: request.currentLeaderEpoch) {
            replyFetchError(to: from, correlationID: correlationID, error)
            return
        }
        noteVoterContact(from)
        let validation = log.validate(fetchOffset: request.fetchOffset, lastFetchedEpoch: request.lastFetchedEpoch)
        if validation == .valid, case .leader(var leader) = state {
            // The follower persisted everything below its fetch offset before asking for more.
            leader.progress.recordFetch(replica: from, endOffset: request.fetchOffset, tick: now)
            leader.parkedFetches[from] = nil
            state = .leader(leader)
            maybeAdvanceHighWatermark()
        }
        if validation == .valid && request.fetchOffset == log.endOffset && request.maxWaitTicks > 0,
            case .leader(var leader) = state
        {
            let wait = Int64(min(Int(request.maxWaitTicks), config.fetchMaxWaitTicks))
            leader.parkedFetches[from] = ParkedFetch(correlationID: correlationID, request: request, deadline: now + wait)
            state = .leader(leader)
            return
        }
        answerFetch(to: from, correlationID: correlationID, request)
    }

    /// Builds the answer to a (validated) Fetch from the current log.
    mutating func answerFetch(to replica: Int32, correlationID: Int32, _ request: RaftMessage.FetchRequest) {
        var response = RaftMessage.FetchResponse(
            errorCode: .none, highWatermark: highWatermark, logStartOffset: log.startOffset,
            currentLeader: LeaderAndEpoch(leaderID: config.nodeID, epoch: quorum.epoch)
        )
        switch log.validate(fetchOffset: request.fetchOffset, lastFetchedEpoch: request.lastFetchedEpoch) {
        case .valid:
            let limit = min(max(1, Int(request.maxBytes)), config.maxFetchBytes)
            response.entries = log.entries(from: request.fetchOffset, maxBytes: limit)
        case .diverging(let end):
            response.divergingEpoch = end
        case .snapshot(let id):
            response.snapshotID = id
        }
        sendResponse(to: replica, correlationID: correlationID, .fetchResponse(response))
    }

    mutating func replyFetchError(to replica: Int32, correlationID: Int32, _ error: RaftErrorCode) {
        let response = RaftMessage.FetchResponse(
            errorCode: error, highWatermark: nil, logStartOffset: log.startOffset,
            currentLeader: LeaderAndEpoch(leaderID: knownLeaderID, epoch: quorum.epoch)
        )
        sendResponse(to: replica, correlationID: correlationID, .fetchResponse(response))
    }

    /// Answers every parked Fetch now: new entries, or a new high watermark, to report.
    mutating func completeParkedFetches() {
        guard case .leader(var leader) = state, !leader.parkedFetches.isEmpty else { return }
        let parked = leader.parkedFetches
        leader.parkedFetches.removeAll()
        state = .leader(leader)
        for (replica, fetch) in parked.sorted(by: { $0.key < $1.key }) {
            answerFetch(to: replica, correlationID: fetch.correlationID, fetch.request)
        }
    }

    /// KRaft's rule: the high watermark is the largest offset a majority of voters has
    /// durably reached, and it only moves once that includes this epoch's leader-change record —
    /// a leader never commits earlier epochs' records by counting replicas.
    mutating func maybeAdvanceHighWatermark() {
        guard case .leader(let leader) = state else { return }
        let majorityEnd = leader.progress.majorityEndOffset(leaderID: config.nodeID, leaderEnd: durableEnd)
        if majorityEnd > leader.epochStartOffset && majorityEnd > highWatermark {
            highWatermark = majorityEnd
            completeParkedFetches()
        }
    }

    mutating func handleFetchSnapshotRequest(
        from: Int32, correlationID: Int32, _ request: RaftMessage.FetchSnapshotRequest
    ) {
        func respond(_ node: inout RaftNode, _ error: RaftErrorCode, size: Int64 = 0, bytes: [UInt8] = []) {
            let response = RaftMessage.FetchSnapshotResponse(
                errorCode: error, snapshotID: request.snapshotID,
                currentLeader: LeaderAndEpoch(leaderID: node.knownLeaderID, epoch: node.quorum.epoch),
                size: size, position: request.position, bytes: bytes
            )
            node.sendResponse(to: from, correlationID: correlationID, .fetchSnapshotResponse(response))
        }
        guard request.replicaID == from else {
            respond(&self, .invalidRequest)
            return
        }
        if let error = leaderOnlyError(requestEpoch: request.currentLeaderEpoch) {
            respond(&self, error)
            return
        }
        noteVoterContact(from)
        guard let snapshot, snapshot.id == request.snapshotID else {
            respond(&self, .snapshotNotFound)
            return
        }
        let size = Int64(snapshot.data.count)
        guard request.position >= 0, request.position <= size else {
            respond(&self, .positionOutOfRange)
            return
        }
        let chunk = Int64(min(max(1, Int(request.maxBytes)), config.snapshotChunkBytes))
        let end = min(size, request.position + chunk)
        respond(&self, .none, size: size, bytes: Array(snapshot.data[Int(request.position)..<Int(end)]))
    }
}
