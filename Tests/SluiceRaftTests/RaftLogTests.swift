@testable import SluiceRaft
import Testing

/// The leader's view of a follower's fetch position (KRaft's `validateOffsetAndEpoch`) and the
/// follower's truncation point.
@Suite struct RaftLogTests {
    /// Epochs 1,1,2,2,4 at offsets 0...4.
    static let log = RaftLog(entries: [data(0, 1), data(1, 1), data(2, 2), data(3, 2), data(4, 4)])

    @Test func endOffsetForEpochFindsTheLargestEpochNotNewer() {
        #expect(Self.log.endOffsetForEpoch(1) == OffsetAndEpoch(offset: 2, epoch: 1))
        #expect(Self.log.endOffsetForEpoch(2) == OffsetAndEpoch(offset: 4, epoch: 2))
        #expect(Self.log.endOffsetForEpoch(3) == OffsetAndEpoch(offset: 4, epoch: 2))
        #expect(Self.log.endOffsetForEpoch(4) == OffsetAndEpoch(offset: 5, epoch: 4))
        #expect(Self.log.endOffsetForEpoch(0) == OffsetAndEpoch(offset: 0, epoch: 0))
    }

    @Test func validatesMatchingPositions() {
        #expect(Self.log.validate(fetchOffset: 0, lastFetchedEpoch: 0) == .valid)
        #expect(Self.log.validate(fetchOffset: 2, lastFetchedEpoch: 1) == .valid)
        #expect(Self.log.validate(fetchOffset: 3, lastFetchedEpoch: 2) == .valid)
        #expect(Self.log.validate(fetchOffset: 5, lastFetchedEpoch: 4) == .valid)
    }

    @Test func reportsDivergence() {
        // The follower has more epoch-1 records than we do.
        #expect(Self.log.validate(fetchOffset: 3, lastFetchedEpoch: 1) == .diverging(OffsetAndEpoch(offset: 2, epoch: 1)))
        // The follower has epoch 3, which we never had: our largest older epoch is 2.
        #expect(Self.log.validate(fetchOffset: 6, lastFetchedEpoch: 3) == .diverging(OffsetAndEpoch(offset: 4, epoch: 2)))
    }

    @Test func followerTruncatesToTheCommonPrefix() {
        // Follower: epochs 1,1,1,3,3 — the leader (above) reports epoch 2 ends at 4 for its epoch 3.
        let follower = RaftLog(entries: [data(0, 1), data(1, 1), data(2, 1), data(3, 3), data(4, 3)])
        let diverging = Self.log.endOffsetForEpoch(3)
        #expect(follower.truncationOffset(for: diverging) == 3)
        // Next round: the follower fetches at (3, epoch 1); the leader has epoch 1 only up to 2.
        #expect(Self.log.validate(fetchOffset: 3, lastFetchedEpoch: 1) == .diverging(OffsetAndEpoch(offset: 2, epoch: 1)))
        #expect(follower.truncationOffset(for: OffsetAndEpoch(offset: 2, epoch: 1)) == 2)
        #expect(Self.log.validate(fetchOffset: 2, lastFetchedEpoch: 1) == .valid)
    }

    @Test func asksForTheSnapshotBehindTheLogStart() {
        var log = Self.log
        log.compact(through: SnapshotID(offset: 3, epoch: 2))
        #expect(log.startOffset == 3 && log.endOffset == 5)
        #expect(log.validate(fetchOffset: 0, lastFetchedEpoch: 0) == .snapshot(SnapshotID(offset: 3, epoch: 2)))
        #expect(log.validate(fetchOffset: 2, lastFetchedEpoch: 1) == .snapshot(SnapshotID(offset: 3, epoch: 2)))
        #expect(log.validate(fetchOffset: 3, lastFetchedEpoch: 1) == .snapshot(SnapshotID(offset: 3, epoch: 2)))
        #expect(log.validate(fetchOffset: 3, lastFetchedEpoch: 2) == .valid)
        #expect(log.validate(fetchOffset: 5, lastFetchedEpoch: 4) == .valid)
    }
}
