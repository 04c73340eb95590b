import SluiceRaft
import Testing

/// Focused tests of the follower's side of replication: divergence and snapshot install.
@Suite struct ReplicationTests {
    @Test func followerTruncatesADivergentTailAndCatchesUp() throws {
        // Node 2 holds epoch-2 records 2 and 3 that the new leader (epoch 3) never had.
        var harness = try NodeHarness(
            id: 2, voters: [1, 2, 3],
            persisted: RaftPersistedState(
                quorumState: QuorumState(epoch: 2, leaderID: 3),
                entries: [data(0, 1), data(1, 1), data(2, 2, 7), data(3, 2, 8)]
            )
        )
        var sent = try harness.deliver(
            from: 1, .beginQuorumEpochRequest(RaftMessage.BeginQuorumEpochRequest(voterID: 2, leaderID: 1, leaderEpoch: 3))
        )
        #expect(harness.node.role == .follower && harness.node.quorum == QuorumState(epoch: 3, leaderID: 1))
        var (fetch, request) = try #require(sent.fetches(to: 1).first)
        #expect(request.fetchOffset == 4 && request.lastFetchedEpoch == 2)

        let leader = LeaderAndEpoch(leaderID: 1, epoch: 3)
        sent = try harness.answer(
            fetch,
            with: .fetchResponse(
                RaftMessage.FetchResponse(
                    errorCode: .none, highWatermark: 2, logStartOffset: 0,
                    divergingEpoch: OffsetAndEpoch(offset: 2, epoch: 1), currentLeader: leader
                )
            )
        )
        #expect(harness.readies.last { $0.persistence.truncateFrom != nil }?.persistence.truncateFrom == 2)
        #expect(harness.store.logEndOffset == 2)
        (fetch, request) = try #require(sent.fetches(to: 1).first)
        #expect(request.fetchOffset == 2 && request.lastFetchedEpoch == 1)

        let change = LogEntry(offset: 2, epoch: 3, payload: .leaderChange(LeaderChange(leaderID: 1, voters: [1, 2, 3], grantingVoters: [1, 3])))
        try harness.answer(
            fetch,
            with: .fetchResponse(
                RaftMessage.FetchResponse(
                    errorCode: .none, highWatermark: 4, logStartOffset: 0, currentLeader: leader, entries: [change, data(3, 3, 9)]
                )
            )
        )
        #expect(harness.store.entries == [data(0, 1), data(1, 1), change, data(3, 3, 9)])
        #expect(harness.node.highWatermark == 4)
        #expect(harness.readies.flatMap(\.committedEntries) == [data(0, 1), data(1, 1), change, data(3, 3, 9)])
    }

    @Test func ignoresStaleAndDuplicatedFetchResponses() throws {
        var harness = try NodeHarness(
            id: 2, voters: [1, 2, 3], persisted: RaftPersistedState(quorumState: QuorumState(epoch: 3, leaderID: 1))
        )
        let (fetch, _) = try #require(try harness.tick().fetches(to: 1).first)
        let response = RaftMessage.fetchResponse(
            RaftMessage.FetchResponse(
                errorCode: .none, highWatermark: 1, logStartOffset: 0, currentLeader: LeaderAndEpoch(leaderID: 1, epoch: 3),
                entries: [data(0, 3)]
            )
        )
        try harness.answer(fetch, with: response)
        try harness.answer(fetch, with: response)
        #expect(harness.node.log.endOffset == 1)
        #expect(harness.node.protocolViolations.isEmpty)
    }

    @Test func followerInstallsASnapshotFetchedInChunks() throws {
        var harness = try NodeHarness(
            id: 2, voters: [1, 2, 3], persisted: RaftPersistedState(quorumState: QuorumState(epoch: 2, leaderID: 1)),
            snapshotChunkBytes: 4
        )
        let leader = LeaderAndEpoch(leaderID: 1, epoch: 2)
        let snapshotID = SnapshotID(offset: 10, epoch: 2)
        let bytes: [UInt8] = Array(0..<10)
        let (fetch, _) = try #require(try harness.tick().fetches(to: 1).first)
        var sent = try harness.answer(
            fetch,
            with: .fetchResponse(
                RaftMessage.FetchResponse(
                    errorCode: .none, highWatermark: 12, logStartOffset: 10, currentLeader: leader, snapshotID: snapshotID
                )
            )
        )
        var previous: RaftEnvelope?
        for position in stride(from: 0, to: 10, by: 4) {
            let envelope = try #require(sent.first { if case .fetchSnapshotRequest = $0.message { return true } else { return false } })
            guard case .fetchSnapshotRequest(let request) = envelope.message else { return }
            #expect(request.snapshotID == snapshotID && request.position == Int64(position) && request.maxBytes == 4)
            if let previous {
                // A duplicate of the previous chunk changes nothing.
                try harness.answer(
                    previous,
                    with: .fetchSnapshotResponse(
                        RaftMessage.FetchSnapshotResponse(
                            errorCode: .none, snapshotID: snapshotID, currentLeader: leader, size: 10,
                            position: Int64(position - 4), bytes: Array(bytes[(position - 4)..<position])
                        )
                    )
                )
            }
            let end = min(10, position + 4)
            sent = try harness.answer(
                envelope,
                with: .fetchSnapshotResponse(
                    RaftMessage.FetchSnapshotResponse(
                        errorCode: .none, snapshotID: snapshotID, currentLeader: leader, size: 10,
                        position: Int64(position), bytes: Array(bytes[position..<end])
                    )
                )
            )
            previous = envelope
        }
        let install = try #require(harness.readies.last { $0.persistence.snapshot != nil })
        #expect(install.persistence.snapshot == RaftSnapshot(id: snapshotID, data: bytes))
        #expect(install.restoreSnapshot?.id == snapshotID)
        #expect(harness.store.snapshot?.id == snapshotID && harness.store.logStartOffset == 10)
        #expect(harness.node.highWatermark == 10 && harness.node.appliedOffset == 10)
        let (_, next) = try #require(sent.fetches(to: 1).first)
        #expect(next.fetchOffset == 10 && next.lastFetchedEpoch == 2)
        #expect(harness.node.protocolViolations.isEmpty)
    }

    @Test func restartKeepsTheLogThatContinuesTheSnapshotAndDropsOneThatDoesNot() throws {
        let snapshot = RaftSnapshot(id: SnapshotID(offset: 2, epoch: 1), data: [1])
        // Crash after compaction's snapshot, before the prefix was deleted: the log continues it.
        let continuing = try NodeHarness(
            id: 2, voters: [1, 2, 3],
            persisted: RaftPersistedState(quorumState: QuorumState(epoch: 2), snapshot: snapshot, entries: [data(0, 1), data(1, 1), data(2, 2)])
        )
        #expect(continuing.node.log.startOffset == 2 && continuing.node.log.endOffset == 3)
        #expect(continuing.store.logStartOffset == 2 && continuing.store.entries == [data(2, 2)])
        // Crash after a fetched snapshot was stored, before the divergent log was cleared.
        let divergent = try NodeHarness(
            id: 2, voters: [1, 2, 3],
            persisted: RaftPersistedState(quorumState: QuorumState(epoch: 2), snapshot: snapshot, entries: [data(0, 1), data(1, 2), data(2, 2)])
        )
        #expect(divergent.node.log.startOffset == 2 && divergent.node.log.isEmpty)
        #expect(divergent.store.logStartOffset == 2 && divergent.store.entries.isEmpty)
        #expect(divergent.readies.first?.restoreSnapshot == snapshot)
    }

    @Test func rejectsAPersistedLogWithGaps() {
        #expect(throws: RaftError.self) {
            try NodeHarness(id: 1, voters: [1], persisted: RaftPersistedState(entries: [data(0, 1), data(2, 1)]))
        }
    }
}
