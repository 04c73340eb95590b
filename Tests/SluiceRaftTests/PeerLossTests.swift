import SluiceRaft
import Testing

/// A follower told that its leader's connection broke (`peerUnreachable`) starts a pre-vote within
/// a few ticks instead of a fetch timeout; pre-vote still protects a live leader.
@Suite struct PeerLossTests {
    /// Node 3's harness: electionTimeoutTicks 10 (so the jitter is at most 2 ticks), fetchTimeoutTicks 20.
    @Test func followerWhoseLeaderIsUnreachableAsksForPreVotesWithinAFewTicks() throws {
        var harness = try ElectionTests.attachedFollower()
        harness.node.peerUnreachable(1)
        let sent = try harness.tick(3)
        #expect(harness.node.role == .prospective)
        let asked = sent.voteRequests()
        #expect(Set(asked.map(\.0.destination)) == [1, 2])
        #expect(asked.allSatisfy { $0.1.preVote && $0.1.candidateEpoch == 2 })
        // Pre-votes do not change the epoch.
        #expect(harness.node.quorum.epoch == 2)
    }

    @Test func withoutTheHintTheFollowerWaitsForItsFetchTimeout() throws {
        var harness = try ElectionTests.attachedFollower()
        try harness.tick(3)
        #expect(harness.node.role == .follower)
    }

    @Test func anotherPeerUnreachableChangesNothing() throws {
        var harness = try ElectionTests.attachedFollower()
        harness.node.peerUnreachable(2)
        try harness.tick(3)
        #expect(harness.node.role == .follower)
        // It still refuses pre-votes: it has a live leader.
        let replies = try harness.deliver(
            from: 2,
            .voteRequest(
                RaftMessage.VoteRequest(candidateEpoch: 2, candidateID: 2, voterID: 3, lastOffsetEpoch: 2, lastOffset: 2, preVote: true)
            )
        )
        #expect(replies.voteResponses().first?.voteGranted == false)
    }

    @Test func aFollowerThatLostItsLeaderGrantsPreVotesAtOnce() throws {
        var harness = try ElectionTests.attachedFollower()
        harness.node.peerUnreachable(1)
        let replies = try harness.deliver(
            from: 2,
            .voteRequest(
                RaftMessage.VoteRequest(candidateEpoch: 2, candidateID: 2, voterID: 3, lastOffsetEpoch: 2, lastOffset: 2, preVote: true)
            )
        )
        #expect(replies.voteResponses().first?.voteGranted == true)
        #expect(harness.node.quorum.epoch == 2)
    }

    /// The hint is wrong (the leader lives, only a connection broke): the other voter and the
    /// leader refuse, and after the lost round's backoff the node follows its leader again, in the
    /// same epoch.
    @Test func aLiveLeaderKeepsItsEpoch() throws {
        var harness = try ElectionTests.attachedFollower()
        harness.node.peerUnreachable(1)
        let sent = try harness.tick(3)
        for (request, _) in sent.voteRequests() {
            try harness.answer(request, with: .voteResponse(RaftMessage.VoteResponse(errorCode: .none, leaderID: 1, leaderEpoch: 2,
                                                                                     voteGranted: false)))
        }
        try harness.tick(12)
        #expect(harness.node.role == .follower)
        #expect(harness.node.quorum == QuorumState(epoch: 2, leaderID: 1))
    }
}
