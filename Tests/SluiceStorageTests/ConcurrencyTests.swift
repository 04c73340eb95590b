import Dispatch
import Foundation
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
@testable import SluiceStorage
import Testing

@Suite struct ConcurrencyTests {
    /// Producers, consumers, flushes, rolls and high watermark moves on one log from several
    /// threads at once: every read is valid, and the final log holds every producer's batches
    /// in its own sequence order at contiguous offsets.
    @Test func appendsReadsAndFlushesFromManyThreads() async throws {
        let dir = TempDirectory("concurrent")
        let log = try TestLog.open(dir.path, config: TestLog.config(segmentBytes: 16 * 1024, indexInterval: 512))
        let producers = 4
        let batchesEach = 150
        let errors = NIOLockedValueBox<[String]>([])
        let done = ProducersDone()
        // One thread per worker (concurrentPerform would run them a core's worth at a time).
        let group = DispatchGroup()
        for worker in 0..<(producers + 3) {
            group.enter()
            Thread { work(worker); group.leave() }.start()
        }
        // Awaited, not waited for: the workers' threads are their own, the test's is the pool's.
        await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }
        @Sendable func work(_ worker: Int) {
            do {
                if worker < producers {
                    for i in 0..<batchesEach {
                        let batch = Batches.make(["p\(worker)-\(i)-a", "p\(worker)-\(i)-b"], producerId: Int64(worker),
                                                 producerEpoch: 0, baseSequence: Int32(i * 2))
                        let info = try log.appendAsLeader([batch], leaderEpoch: 0, now: 0)
                        log.updateHighWatermark(info.lastOffset + 1)
                    }
                } else if worker == producers {
                    while !done.isSet(producers) {
                        try log.flush()
                        if Int.random(in: 0..<4) == 0 { try log.roll() }
                        usleep(500)
                    }
                } else {
                    var reads = 0
                    while !done.isSet(producers) || reads < 50 {
                        let end = log.logEndOffset
                        let offset = end == 0 ? 0 : Int64.random(in: 0..<end)
                        let result = try log.read(from: offset, maxBytes: Int.random(in: 1...8192), maxOffset: log.highWatermark,
                                                  minOneBatch: true)
                        for batch in try Fetched.batches(result) where batch.lastOffset < offset {
                            errors.withLockedValue { $0.append("read from \(offset) returned batch \(batch.baseOffset)") }
                        }
                        reads += 1
                    }
                }
            } catch {
                errors.withLockedValue { $0.append("worker \(worker): \(error)") }
            }
            if worker < producers { done.producerFinished() }
        }
        #expect(errors.withLockedValue { $0 } == [])
        let batches = try Fetched.read(log, from: 0)
        #expect(batches.count == producers * batchesEach)
        var expectedOffset: Int64 = 0
        var nextSequence = [Int64: Int32]()
        for batch in batches {
            #expect(batch.baseOffset == expectedOffset)
            expectedOffset = batch.nextOffset
            #expect(batch.baseSequence == nextSequence[batch.producerId, default: 0])
            nextSequence[batch.producerId] = batch.baseSequence + 2
        }
        log.closeWithoutFlush()
        #expect(try TestLog.open(dir.path).logEndOffset == expectedOffset)
    }
}

/// Set once every producer thread has finished.
final class ProducersDone: Sendable {
    private let finished = NIOLockedValueBox(0)

    func isSet(_ count: Int) -> Bool { finished.withLockedValue { $0 >= count } }

    func producerFinished() {
        finished.withLockedValue { $0 += 1 }
    }
}
