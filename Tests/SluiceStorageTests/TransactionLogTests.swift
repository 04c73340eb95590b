import KafkaProtocol
import NIOCore
@testable import SluiceStorage
import SluiceBase
import Testing

/// Transactions in one partition's log: markers written by the leader for the transaction
/// coordinator, the last stable offset, the aborted-transaction index (`.txnindex`) and what
/// restarts, truncation and compaction do to them.
@Suite struct TransactionLogTests {
    /// A transactional data batch of producer `pid`.
    static func txn(_ values: [String], pid: Int64, epoch: Int16 = 0, seq: Int32, keys: [String]? = nil) -> RecordBatch {
        var builder = RecordBatchBuilder(producerId: pid, producerEpoch: epoch, baseSequence: seq, isTransactional: true)
        for (i, v) in values.enumerated() {
            builder.append(key: keys.map { ByteBuffer(string: $0[i]) }, value: ByteBuffer(string: v), timestamp: 1_000)
        }
        return try! builder.build()
    }

    /// Appends the COMMIT or ABORT marker of `pid`'s transaction, as the coordinator asks the leader to.
    @discardableResult
    static func end(_ log: any PartitionLog, pid: Int64, epoch: Int16 = 0, commit: Bool, coordinatorEpoch: Int32 = 0) throws -> Int64 {
        let marker = try EndTransactionMarker(commit: commit, coordinatorEpoch: coordinatorEpoch)
            .batch(producerId: pid, producerEpoch: epoch, timestamp: 1_000)
        return try log.appendAsLeader([marker], leaderEpoch: 0, now: 0, origin: .coordinator).firstOffset
    }

    @Test func anOpenTransactionHoldsTheLastStableOffsetUntilItsMarkerIsReplicated() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        _ = try log.appendAsLeader([Batches.make(["plain"])], leaderEpoch: 0, now: 0)               // 0
        _ = try log.appendAsLeader([Self.txn(["a", "b"], pid: 7, seq: 0)], leaderEpoch: 0, now: 0)  // 1-2
        _ = try log.appendAsLeader([Batches.make(["after"])], leaderEpoch: 0, now: 0)               // 3
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.highWatermark == 4)
        #expect(log.lastStableOffset == 1, "the open transaction starts at 1")

        let markerOffset = try Self.end(log, pid: 7, commit: true)
        #expect(markerOffset == 4)
        #expect(log.lastStableOffset == 1, "the marker is not replicated yet")
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == 5)
        #expect(log.abortedTransactions(from: 0, upTo: 5).isEmpty, "a committed transaction is not listed")
        #expect(log.producers.first { $0.producerId == 7 }?.currentTxnStartOffset == -1)
    }

    @Test func abortedTransactionsAreListedForTheRangeAFetchReturns() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        _ = try log.appendAsLeader([Self.txn(["x"], pid: 1, seq: 0)], leaderEpoch: 0, now: 0)      // 0
        _ = try log.appendAsLeader([Self.txn(["y"], pid: 2, seq: 0)], leaderEpoch: 0, now: 0)      // 1
        try Self.end(log, pid: 1, commit: false)                                                     // 2
        _ = try log.appendAsLeader([Self.txn(["z"], pid: 2, seq: 1)], leaderEpoch: 0, now: 0)      // 3
        try Self.end(log, pid: 2, commit: false)                                                     // 4
        _ = try log.appendAsLeader([Self.txn(["w"], pid: 3, seq: 0)], leaderEpoch: 0, now: 0)      // 5
        try Self.end(log, pid: 3, commit: true)                                                      // 6
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == 7)

        let all = log.abortedTransactions(from: 0, upTo: 7)
        #expect(all == [
            AbortedTransaction(producerId: 1, firstOffset: 0, lastOffset: 2, lastStableOffset: 1),
            AbortedTransaction(producerId: 2, firstOffset: 1, lastOffset: 4, lastStableOffset: 5),
        ])
        // A fetch from 3 needs only producer 2's (its marker is at 4); one below 1 only producer 1's.
        #expect(log.abortedTransactions(from: 3, upTo: 7).map(\.producerId) == [2])
        #expect(log.abortedTransactions(from: 0, upTo: 1).map(\.producerId) == [1])
    }

    @Test func markersAreTheCoordinatorsAndFencedByEpochs() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        _ = try log.appendAsLeader([Self.txn(["a"], pid: 5, epoch: 1, seq: 0)], leaderEpoch: 0, now: 0)
        let marker = try EndTransactionMarker(commit: true, coordinatorEpoch: 3).batch(producerId: 5, producerEpoch: 1, timestamp: 0)
        #expect(throws: LogAppendError.invalidBatch(.invalidRecord("clients cannot produce control batches"))) {
            try log.appendAsLeader([marker], leaderEpoch: 0, now: 0)
        }
        // A non-transactional write while the producer's transaction is open.
        let plain = Batches.make(["p"], producerId: 5, producerEpoch: 1, baseSequence: 1)
        #expect(throws: LogAppendError.self) { try log.appendAsLeader([plain], leaderEpoch: 0, now: 0) }
        #expect(LogAppendError.invalidTxnState("").errorCode == .invalidTxnState)
        // A marker of an older producer epoch is fenced.
        #expect(throws: LogAppendError.invalidProducerEpoch(current: 1, received: 0)) {
            try Self.end(log, pid: 5, epoch: 0, commit: false, coordinatorEpoch: 3)
        }
        try Self.end(log, pid: 5, epoch: 1, commit: true, coordinatorEpoch: 3)
        // A later marker from an older coordinator is fenced.
        _ = try log.appendAsLeader([Self.txn(["b"], pid: 5, epoch: 1, seq: 1)], leaderEpoch: 0, now: 0)
        #expect(throws: LogAppendError.coordinatorFenced(current: 3, received: 2)) {
            try Self.end(log, pid: 5, epoch: 1, commit: false, coordinatorEpoch: 2)
        }
        #expect(LogAppendError.coordinatorFenced(current: 3, received: 2).errorCode == .transactionCoordinatorFenced)
    }

    @Test(arguments: [false, true])
    func transactionsSurviveARestart(clean: Bool) throws {
        let dir = TempDirectory()
        let config = TestLog.config(segmentBytes: 400)
        do {
            let log = try TestLog.open(dir.path, config: config)
            _ = try log.appendAsLeader([Self.txn(["aborted"], pid: 1, seq: 0)], leaderEpoch: 0, now: 0)   // 0
            try Self.end(log, pid: 1, commit: false)                                                          // 1
            for i in 0..<6 { _ = try log.appendAsLeader([Batches.sized(150, tag: String(UnicodeScalar(UInt8(97 + i))))], leaderEpoch: 0, now: 0) }
            _ = try log.appendAsLeader([Self.txn(["open"], pid: 2, seq: 0)], leaderEpoch: 0, now: 0)      // 8
            _ = try log.appendAsLeader([Batches.make(["tail"])], leaderEpoch: 0, now: 0)                   // 9
            log.updateHighWatermark(log.logEndOffset)
            #expect(log.segmentCount > 2)
            #expect(log.lastStableOffset == 8)
            if clean {
                try log.close()
                #expect(try Posix.listDirectory(dir.path).contains { $0.hasSuffix(".txnindex") })
            } else {
                log.closeWithoutFlush()
            }
        }
        if !clean {
            // Recovery replays every segment: the index is rebuilt from the markers.
            for name in try Posix.listDirectory(dir.path) where name.hasSuffix(".snapshot") || name.hasSuffix(".txnindex") {
                try Posix.unlinkIfPresent(dir.sub(name))
            }
        }
        let log = try TestLog.open(dir.path, config: config, clean: clean, recoveryPoint: clean ? nil : 0, highWatermark: 10)
        #expect(log.lastStableOffset == 8, "producer 2's transaction is still open")
        #expect(log.abortedTransactions(from: 0, upTo: 10).map(\.producerId) == [1])
        try Self.end(log, pid: 2, commit: true)
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == 11)
    }

    @Test func truncatingAMarkerReopensItsTransaction() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        _ = try log.appendAsLeader([Self.txn(["a"], pid: 4, seq: 0)], leaderEpoch: 0, now: 0)   // 0
        try Self.end(log, pid: 4, commit: false)                                                  // 1
        log.updateHighWatermark(1)
        #expect(log.abortedTransactions(from: 0, upTo: 2).count == 1)
        try log.truncate(to: 1)
        #expect(log.abortedTransactions(from: 0, upTo: 2).isEmpty)
        log.updateHighWatermark(1)
        #expect(log.lastStableOffset == 0, "the transaction is undecided again")
    }

    @Test func deleteRecordsAndRetentionStopAtTheLastStableOffset() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        _ = try log.appendAsLeader([Batches.make(["0"])], leaderEpoch: 0, now: 0)
        _ = try log.appendAsLeader([Self.txn(["1"], pid: 9, seq: 0)], leaderEpoch: 0, now: 0)
        _ = try log.appendAsLeader([Batches.make(["2"])], leaderEpoch: 0, now: 0)
        log.updateHighWatermark(3)
        #expect(throws: StorageError.self) { try log.deleteRecords(before: 2) }
        try log.deleteRecords(before: 1)
        #expect(log.logStartOffset == 1)
    }

    @Test func retentionKeepsSegmentsAnOpenTransactionReachesInto() throws {
        let dir = TempDirectory()
        var config = TestLog.config(segmentBytes: 300)
        config.retentionMs = 1_000
        let log = try TestLog.open(dir.path, config: config)
        _ = try log.appendAsLeader([Self.txn(["open"], pid: 3, seq: 0)], leaderEpoch: 0, now: 0)
        for i in 0..<8 { _ = try log.appendAsLeader([Batches.sized(120, tag: String(UnicodeScalar(UInt8(97 + i))))], leaderEpoch: 0, now: 0) }
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.segmentCount > 2)
        #expect(try log.deleteOldSegments(now: 1_000_000) == 0, "every segment reaches past the last stable offset 0")
        try Self.end(log, pid: 3, commit: true)
        log.updateHighWatermark(log.logEndOffset)
        #expect(try log.deleteOldSegments(now: 1_000_000) > 0)
    }

    @Test func compactionDropsAbortedRecordsAndKeepsCommittedOnes() throws {
        let tp = CompactionTests.tp
        let dir = TempDirectory("compact")
        var config = CompactionTests.config(segmentBytes: 300)
        config.deleteRetentionMs = 1_000
        let manager = try LogManager(directory: dir.path, defaults: config, logger: TestLog.logger)
        let log = try manager.getOrCreateLog(for: tp, config: config)
        _ = try log.appendAsLeader([Self.txn(["aborted"], pid: 1, seq: 0, keys: ["k1"])], leaderEpoch: 0, now: 0)
        _ = try log.appendAsLeader([Self.txn(["committed"], pid: 2, seq: 0, keys: ["k2"])], leaderEpoch: 0, now: 0)
        try Self.end(log, pid: 1, commit: false)
        try Self.end(log, pid: 2, commit: true)
        for i in 0..<12 {
            _ = try log.appendAsLeader([Batches.keyed([("f\(i)", String(repeating: "x", count: 60))])], leaderEpoch: 0, now: 0)
        }
        log.updateHighWatermark(log.logEndOffset)
        try manager.compact(tp, now: 10_000)
        let batches = try Fetched.read(log, from: 0)
        let values = try batches.filter { !$0.isControl }.flatMap { try $0.records().compactMap { $0.value?.string } }
        #expect(!values.contains("aborted"))
        #expect(values.contains("committed"))
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == log.logEndOffset)
    }
}
