import SluiceRaft
import Testing

/// Focused tests of the election rules, with the test playing the peers.
@Suite struct ElectionTests {
    /// Node 3 follows leader 1 in epoch 2 and has fetched from it successfully.
    static func attachedFollower() throws -> NodeHarness {
        var harness = try NodeHarness(
            id: 3, voters: [1, 2, 3],
            persisted: RaftPersistedState(quorumState: QuorumState(epoch: 2, leaderID: 1), entries: [data(0, 1), data(1, 2)])
        )
        let sent = try harness.tick()
        let (fetch, request) = try #require(sent.fetches(to: 1).first)
        #expect(request.fetchOffset == 2 && request.lastFetchedEpoch == 2 && request.currentLeaderEpoch == 2)
        try harness.answer(
            fetch,
            with: .fetchResponse(
                RaftMessage.FetchResponse(
                    errorCode: .none, highWatermark: 2, logStartOffset: 0,
                    currentLeader: LeaderAndEpoch(leaderID: 1, epoch: 2)
                )
            )
        )
        #expect(harness.node.highWatermark == 2)
        return harness
    }

    @Test func followerOfALiveLeaderRejectsPreVotesWithoutChangingItsEpoch() throws {
        var harness = try Self.attachedFollower()
        let persistedBefore = harness.readies.count
        let replies = try harness.deliver(
            from: 2,
            .voteRequest(
                RaftMessage.VoteRequest(candidateEpoch: 2, candidateID: 2, voterID: 3, lastOffsetEpoch: 2, lastOffset: 2, preVote: true)
            )
        )
        let response = try #require(replies.voteResponses().first)
        #expect(!response.voteGranted)
        #expect(response.leaderEpoch == 2 && response.leaderID == 1)
        #expect(harness.node.role == .follower && harness.node.quorum == QuorumState(epoch: 2, leaderID: 1))
        #expect(harness.readies[persistedBefore...].allSatisfy { $0.persistence.quorumState == nil })
    }

    @Test func followerThatNeverReachedItsLeaderGrantsPreVotes() throws {
        var harness = try NodeHarness(
            id: 3, voters: [1, 2, 3], persisted: RaftPersistedState(quorumState: QuorumState(epoch: 2, leaderID: 1))
        )
        let replies = try harness.deliver(
            from: 2,
            .voteRequest(
                RaftMessage.VoteRequest(candidateEpoch: 2, candidateID: 2, voterID: 3, lastOffsetEpoch: 0, lastOffset: 0, preVote: true)
            )
        )
        #expect(replies.voteResponses().first?.voteGranted == true)
        #expect(harness.node.quorum.epoch == 2)
    }

    @Test func votesOncePerEpochAndPersistsTheVoteWithTheResponse() throws {
        var harness = try NodeHarness(id: 3, voters: [1, 2, 3], persisted: RaftPersistedState(quorumState: QuorumState(epoch: 2)))
        func vote(from candidate: Int32) throws -> (RaftMessage.VoteResponse, RaftReady) {
            let before = harness.readies.count
            let replies = try harness.deliver(
                from: candidate,
                .voteRequest(
                    RaftMessage.VoteRequest(
                        candidateEpoch: 3, candidateID: candidate, voterID: 3, lastOffsetEpoch: 0, lastOffset: 0, preVote: false
                    )
                )
            )
            let ready = try #require(harness.readies[before...].first { !$0.messages.isEmpty })
            return (try #require(replies.voteResponses().first), ready)
        }
        let (first, firstReady) = try vote(from: 1)
        #expect(first.voteGranted && first.leaderEpoch == 3)
        // The vote is in the same Ready as the response: durable before the response leaves.
        #expect(firstReady.persistence.quorumState == QuorumState(epoch: 3, votedID: 1))
        #expect(harness.store.quorumState == QuorumState(epoch: 3, votedID: 1))

        let (second, _) = try vote(from: 2)
        #expect(!second.voteGranted)
        let (again, _) = try vote(from: 1)
        #expect(again.voteGranted)
    }

    @Test func rejectsCandidatesWithShorterLogs() throws {
        var harness = try NodeHarness(
            id: 3, voters: [1, 2, 3],
            persisted: RaftPersistedState(quorumState: QuorumState(epoch: 2), entries: [data(0, 1), data(1, 2)])
        )
        let replies = try harness.deliver(
            from: 2,
            .voteRequest(
                RaftMessage.VoteRequest(candidateEpoch: 3, candidateID: 2, voterID: 3, lastOffsetEpoch: 1, lastOffset: 5, preVote: false)
            )
        )
        #expect(replies.voteResponses().first?.voteGranted == false)
        #expect(harness.node.quorum == QuorumState(epoch: 3))
    }

    /// Becomes leader of epoch 2 via pre-vote and vote, with one uncommitted epoch-1 record.
    static func electedLeader() throws -> (NodeHarness, [RaftEnvelope]) {
        var harness = try NodeHarness(
            id: 1, voters: [1, 2, 3], persisted: RaftPersistedState(quorumState: QuorumState(epoch: 1), entries: [data(0, 1)])
        )
        var sent: [RaftEnvelope] = []
        while harness.node.role != .prospective {
            sent = try harness.tick()
        }
        let preVote = try #require(sent.voteRequests().first { $0.1.preVote && $0.0.destination == 2 })
        #expect(preVote.1.candidateEpoch == 1 && harness.node.role == .prospective)
        sent = try harness.answer(
            preVote.0, with: .voteResponse(RaftMessage.VoteResponse(errorCode: .none, leaderID: nil, leaderEpoch: 1, voteGranted: true))
        )
        #expect(harness.node.role == .candidate && harness.node.quorum == QuorumState(epoch: 2, votedID: 1))
        let vote = try #require(sent.voteRequests().first { !$0.1.preVote && $0.0.destination == 2 })
        #expect(vote.1.candidateEpoch == 2 && vote.1.lastOffset == 1 && vote.1.lastOffsetEpoch == 1)
        sent = try harness.answer(
            vote.0, with: .voteResponse(RaftMessage.VoteResponse(errorCode: .none, leaderID: nil, leaderEpoch: 2, voteGranted: true))
        )
        #expect(harness.node.role == .leader)
        return (harness, sent)
    }

    @Test func newLeaderAnnouncesItselfAndWritesTheLeaderChangeRecord() throws {
        let (harness, sent) = try Self.electedLeader()
        let begins = sent.filter { if case .beginQuorumEpochRequest = $0.message { return true } else { return false } }
        #expect(Set(begins.map(\.destination)) == [2, 3])
        let entry = try #require(harness.node.log.entry(at: 1))
        #expect(entry.epoch == 2)
        guard case .leaderChange(let change) = entry.payload else {
            Issue.record("expected a leader-change record, got \(entry)")
            return
        }
        #expect(change.leaderID == 1 && change.grantingVoters == [1, 2])
    }

    @Test func leaderDoesNotCommitEarlierEpochsByCountingReplicas() throws {
        var (harness, _) = try Self.electedLeader()
        func fetch(from replica: Int32, offset: Int64, lastEpoch: Int32) throws -> RaftMessage.FetchResponse? {
            let replies = try harness.deliver(
                from: replica,
                .fetchRequest(
                    RaftMessage.FetchRequest(
                        replicaID: replica, currentLeaderEpoch: 2, fetchOffset: offset, lastFetchedEpoch: lastEpoch,
                        logStartOffset: 0, maxWaitTicks: 0, maxBytes: 1 << 20
                    )
                )
            )
            return replies.compactMap { if case .fetchResponse(let r) = $0.message { return r } else { return nil } }.first
        }
        // Node 2 holds the epoch-1 record: a majority has offset 0, but it is not this epoch's.
        let first = try fetch(from: 2, offset: 1, lastEpoch: 1)
        #expect(first?.entries.map(\.offset) == [1])
        #expect(harness.node.highWatermark == 0)
        // Once node 2 holds the leader-change record, both records commit together.
        _ = try fetch(from: 2, offset: 2, lastEpoch: 2)
        #expect(harness.node.highWatermark == 2)
        #expect(harness.readies.flatMap(\.committedEntries).map(\.offset) == [0, 1])
    }
}
