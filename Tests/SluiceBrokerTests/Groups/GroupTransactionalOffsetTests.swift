import KafkaProtocol
import SluiceBase
import Testing

@testable import SluiceBroker

/// Transactional offset commits (TxnOffsetCommit): pending until the transaction's marker, then
/// committed or dropped; kept across a reload of the partition in either state.
@Suite struct GroupTransactionalOffsetTests {
    let t0 = TopicPartition("t", 0)
    let t1 = TopicPartition("t", 1)

    func txnCommit(_ h: inout GroupHarness, _ group: String, producerId: Int64, _ offsets: [OffsetCommitEntry],
                   generation: Int32 = -1, member: String = "") -> PartitionErrors? {
        let id = h.request()
        h.send(.txnCommit(id, TxnOffsetCommitInput(groupId: group, producerId: producerId, producerEpoch: 0,
                                                   generationId: generation, memberId: member, offsets: offsets)))
        return h.commitResult(id)
    }

    @Test func offsetsOfATransactionShowOnlyOnceItCommits() {
        var h = GroupHarness()
        let partition = h.state.partition(for: "g")
        let plain = h.commit("g", [OffsetCommitEntry(t0, offset: 5)])
        #expect(h.commitResult(plain) == PartitionErrors([t0: .noError]))
        #expect(txnCommit(&h, "g", producerId: 7, [OffsetCommitEntry(t0, offset: 10), OffsetCommitEntry(t1, offset: 3)])
                == PartitionErrors([t0: .noError, t1: .noError]))
        #expect(h.fetch("g", [t0, t1])[t0]?.offset == 5, "still the last committed offset")
        #expect(h.fetch("g", [t0, t1])[t1] == CommittedOffset.none)
        #expect(h.state.hasPendingTransactionalOffset(groupId: "g", t0))
        // Another producer's marker changes nothing.
        h.endTransaction(partition: partition, producerId: 8, commit: true)
        #expect(h.fetch("g", [t0])[t0]?.offset == 5)
        h.endTransaction(partition: partition, producerId: 7, commit: true)
        #expect(h.fetch("g", [t0])[t0]?.offset == 10)
        #expect(h.fetch("g", [t1])[t1]?.offset == 3)
        #expect(!h.state.hasPendingTransactionalOffset(groupId: "g", t0))
        // An aborted transaction's offsets are dropped.
        #expect(txnCommit(&h, "g", producerId: 7, [OffsetCommitEntry(t0, offset: 20)]) == PartitionErrors([t0: .noError]))
        h.endTransaction(partition: partition, producerId: 7, commit: false)
        #expect(h.fetch("g", [t0])[t0]?.offset == 10)
    }

    @Test func aReloadKeepsCommittedAndPendingTransactionalOffsets() {
        var h = GroupHarness()
        let partition = h.state.partition(for: "g")
        #expect(txnCommit(&h, "g", producerId: 7, [OffsetCommitEntry(t0, offset: 10)]) == PartitionErrors([t0: .noError]))
        h.endTransaction(partition: partition, producerId: 7, commit: true)
        #expect(txnCommit(&h, "g", producerId: 7, [OffsetCommitEntry(t0, offset: 11)]) == PartitionErrors([t0: .noError]))
        #expect(txnCommit(&h, "g", producerId: 9, [OffsetCommitEntry(t1, offset: 4)]) == PartitionErrors([t1: .noError]))
        h.endTransaction(partition: partition, producerId: 9, commit: false)
        h.reload()
        #expect(h.fetch("g", [t0])[t0]?.offset == 10, "the committed transaction's offset came back")
        #expect(h.fetch("g", [t1])[t1] == CommittedOffset.none, "the aborted one's did not")
        #expect(h.state.hasPendingTransactionalOffset(groupId: "g", t0), "the open one is pending again")
        h.endTransaction(partition: partition, producerId: 7, commit: true)
        #expect(h.fetch("g", [t0])[t0]?.offset == 11)
    }

    @Test func membersAreCheckedAsForOffsetCommit() {
        var h = GroupHarness()
        #expect(txnCommit(&h, "g", producerId: 7, [OffsetCommitEntry(t0, offset: 1)], generation: 3, member: "m")
                == PartitionErrors([t0: .illegalGeneration]))
        _ = h.commit("g", [OffsetCommitEntry(t1, offset: 1)])
        #expect(txnCommit(&h, "g", producerId: 7, [OffsetCommitEntry(t0, offset: 1)], generation: 1, member: "m")
                == PartitionErrors([t0: .unknownMemberId]))
    }
}
