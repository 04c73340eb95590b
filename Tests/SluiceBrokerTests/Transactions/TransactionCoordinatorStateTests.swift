import KafkaProtocol
import SluiceBase
import Testing
@testable import SluiceBroker

/// The transaction coordinator's state machine under simulated time: its log is a dictionary
/// written when the harness completes an append, its markers a list the harness completes.
struct TransactionCoordinatorStateTests {
    struct Harness {
        var state: TransactionCoordinatorState
        var now: Int64 = 1_000
        var nextRequest: RequestID = 0
        var answers: [RequestID: TransactionResult] = [:]
        /// Appends not yet completed, in order.
        var appends: [(partition: Int32, id: AppendID, key: TransactionLogKey, value: TransactionLogValue)] = []
        /// What each partition's log holds (last value per id).
        var log: [Int32: [String: TransactionLogValue]] = [:]
        var markerJobs: [MarkerJob] = []
        var nextProducerId: Int64 = 100

        init(config: TransactionCoordinatorConfig = TransactionCoordinatorConfig()) {
            var config = config
            config.stateLogPartitions = 1
            state = TransactionCoordinatorState(config: config)
            lead(epoch: 1)
        }

        mutating func lead(epoch: Int32) {
            let actions = state.handle(.becameLeader(partition: 0, coordinatorEpoch: epoch), now: now)
            guard case let .load(_, id)? = actions.last else { Issue.record("no load: \(actions)"); return }
            apply(state.handle(.loaded(partition: 0, id, log[0] ?? [:]), now: now))
        }

        mutating func apply(_ actions: [TransactionCoordinatorAction]) {
            for action in actions {
                switch action {
                case let .respond(id, result):
                    #expect(answers[id] == nil, "request \(id) answered twice")
                    answers[id] = result
                case let .append(partition, id, key, value):
                    appends.append((partition, id, key, value))
                case let .writeMarkers(job):
                    markerJobs.append(job)
                case .load:
                    Issue.record("unexpected load")
                }
            }
        }

        /// Completes every append (and the appends they lead to) with `error`.
        mutating func completeAppends(_ error: ErrorCode = .noError) {
            while !appends.isEmpty {
                let a = appends.removeFirst()
                if error == .noError { log[a.partition, default: [:]][a.key.transactionalId] = a.value }
                apply(state.handle(.appendCompleted(partition: a.partition, a.id, error), now: now))
            }
        }

        mutating func completeMarkers() {
            let jobs = markerJobs
            markerJobs = []
            for job in jobs { apply(state.handle(.markersWritten(job), now: now)) }
            completeAppends()
        }

        mutating func send(_ make: (RequestID) -> TransactionCoordinatorEvent) -> RequestID {
            nextRequest += 1
            apply(state.handle(make(nextRequest), now: now))
            return nextRequest
        }

        /// A request whose appends complete at once; its answer.
        mutating func ask(_ make: (RequestID) -> TransactionCoordinatorEvent) -> TransactionResult {
            let id = send(make)
            completeAppends()
            return answers[id] ?? TransactionResult(.unknownServerError)
        }

        mutating func initProducer(_ txn: String, timeoutMs: Int32 = 60_000, producerId: Int64 = -1,
                                   epoch: Int16 = -1) -> TransactionResult {
            nextProducerId += 1
            let input = InitTransactionInput(transactionalId: txn, timeoutMs: timeoutMs, producerId: producerId,
                                             producerEpoch: epoch, freshProducerId: nextProducerId)
            return ask { .initProducerId($0, input) }
        }

        mutating func add(_ txn: String, _ producer: TransactionResult, _ partitions: [TopicPartition]) -> ErrorCode {
            ask { .addPartitions($0, AddPartitionsInput(transactionalId: txn, producerId: producer.producerId,
                                                        producerEpoch: producer.producerEpoch, partitions: partitions)) }.error
        }

        mutating func end(_ txn: String, _ producer: TransactionResult, commit: Bool) -> ErrorCode {
            ask { .endTxn($0, EndTxnInput(transactionalId: txn, producerId: producer.producerId,
                                          producerEpoch: producer.producerEpoch, commit: commit)) }.error
        }

        func status(_ txn: String) -> TransactionStatus? { state.transaction(txn)?.status }
    }

    static let a0 = TopicPartition("a", 0)
    static let a1 = TopicPartition("a", 1)

    @Test func aTransactionGoesThroughItsStatesAndItsMarkersAreWrittenOnce() {
        var h = Harness()
        let producer = h.initProducer("t")
        #expect(producer.error == .noError && producer.producerId == 101 && producer.producerEpoch == 0)
        #expect(h.status("t") == .empty)
        #expect(h.add("t", producer, [Self.a0]) == .noError)
        #expect(h.status("t") == .ongoing)
        #expect(h.add("t", producer, [Self.a0, Self.a1]) == .noError)
        #expect(h.state.transaction("t")?.partitions == [Self.a0, Self.a1])
        #expect(h.end("t", producer, commit: true) == .noError)
        #expect(h.status("t") == .prepareCommit)
        #expect(h.markerJobs == [MarkerJob(transactionalId: "t", statePartition: 0, coordinatorEpoch: 1, producerId: 101,
                                           producerEpoch: 0, commit: true, partitions: [Self.a0, Self.a1])])
        // While the markers are written the producer must wait.
        #expect(h.add("t", producer, [Self.a0]) == .concurrentTransactions)
        #expect(h.end("t", producer, commit: true) == .concurrentTransactions)
        h.completeMarkers()
        #expect(h.status("t") == .completeCommit)
        #expect(h.log[0]?["t"]?.status == .completeCommit)
        #expect(h.state.transaction("t")?.partitions == [])
        // A retried EndTxn is answered NONE; the other outcome is refused.
        #expect(h.end("t", producer, commit: true) == .noError)
        #expect(h.end("t", producer, commit: false) == .invalidTxnState)
        // The next transaction.
        #expect(h.add("t", producer, [Self.a1]) == .noError)
        #expect(h.end("t", producer, commit: false) == .noError)
        #expect(h.markerJobs.map(\.commit) == [false])
    }

    @Test func aNewInstanceFencesTheOldOneAndAbortsItsOpenTransaction() {
        var h = Harness()
        let first = h.initProducer("t")
        #expect(h.add("t", first, [Self.a0]) == .noError)
        // The second instance: its InitProducerId aborts the open transaction with a bumped epoch.
        #expect(h.initProducer("t").error == .concurrentTransactions)
        #expect(h.status("t") == .prepareAbort)
        #expect(h.markerJobs.count == 1 && h.markerJobs[0].commit == false && h.markerJobs[0].producerEpoch == 1)
        #expect(h.initProducer("t").error == .concurrentTransactions)
        h.completeMarkers()
        #expect(h.status("t") == .completeAbort)
        let second = h.initProducer("t")
        #expect(second.error == .noError && second.producerId == first.producerId && second.producerEpoch == 2)
        // The zombie is fenced everywhere.
        #expect(h.add("t", first, [Self.a1]) == .producerFenced)
        #expect(h.end("t", first, commit: true) == .producerFenced)
        #expect(h.initProducer("t", producerId: first.producerId, epoch: 0).error == .producerFenced)
        #expect(h.add("t", second, [Self.a1]) == .noError)
    }

    @Test func idleIdsTakeTheNextEpochAndExhaustedEpochsANewProducerId() {
        var h = Harness()
        var producer = h.initProducer("t")
        producer = h.initProducer("t")
        #expect(producer.producerId == 101 && producer.producerEpoch == 1)
        // KIP-360: the current producer naming itself bumps its own epoch.
        producer = h.initProducer("t", producerId: 101, epoch: 1)
        #expect(producer.error == .noError && producer.producerEpoch == 2)
        var metadata = h.state.transaction("t")!
        metadata.producerEpoch = Int16.max - 1
        h.log[0]!["t"] = metadata.logValue
        h.lead(epoch: 2)
        producer = h.initProducer("t")
        #expect(producer.error == .noError && producer.producerEpoch == 0 && producer.producerId != 101)
    }

    @Test func badRequestsGetKafkasErrors() {
        var config = TransactionCoordinatorConfig()
        config.maxTimeoutMs = 10_000
        var h = Harness(config: config)
        #expect(h.initProducer("t", timeoutMs: 10_001).error == .invalidTransactionTimeout)
        #expect(h.initProducer("t", timeoutMs: 0).error == .invalidTransactionTimeout)
        let producer = h.initProducer("t", timeoutMs: 10_000)
        #expect(producer.error == .noError)
        var wrongId = producer
        wrongId.producerId += 7
        #expect(h.add("t", wrongId, [Self.a0]) == .invalidProducerIdMapping)
        #expect(h.add("unknown", producer, [Self.a0]) == .invalidProducerIdMapping)
        var newerEpoch = producer
        newerEpoch.producerEpoch += 1
        #expect(h.end("t", newerEpoch, commit: true) == .producerFenced)
        #expect(h.end("t", producer, commit: true) == .invalidTxnState)  // nothing open
        // A change in flight: the same id must wait.
        let pending = h.send { .addPartitions($0, AddPartitionsInput(transactionalId: "t", producerId: producer.producerId,
                                                                      producerEpoch: producer.producerEpoch, partitions: [Self.a0])) }
        #expect(h.add("t", producer, [Self.a1]) == .concurrentTransactions)
        h.completeAppends()
        #expect(h.answers[pending]?.error == .noError)
    }

    @Test func verificationAnswersPerPartitionAndAddsNothing() {
        var h = Harness()
        let producer = h.initProducer("t")
        #expect(h.add("t", producer, [Self.a0]) == .noError)
        let result = h.ask { .addPartitions($0, AddPartitionsInput(transactionalId: "t", producerId: producer.producerId,
                                                                    producerEpoch: producer.producerEpoch,
                                                                    partitions: [Self.a0, Self.a1], verifyOnly: true)) }
        #expect(result.partitionErrors == [Self.a0: .noError, Self.a1: .invalidTxnState])
        #expect(h.state.transaction("t")?.partitions == [Self.a0])
        #expect(h.appends.isEmpty)
    }

    @Test func timedOutTransactionsAreAbortedWithABumpedEpoch() {
        var h = Harness()
        let producer = h.initProducer("t", timeoutMs: 5_000)
        #expect(h.add("t", producer, [Self.a0]) == .noError)
        h.now += 5_000
        h.apply(h.state.handle(.abortTimedOut, now: h.now))
        #expect(h.appends.isEmpty, "not yet past the timeout")
        h.now += 1
        h.apply(h.state.handle(.abortTimedOut, now: h.now))
        h.completeAppends()
        #expect(h.status("t") == .prepareAbort)
        #expect(h.markerJobs.map(\.producerEpoch) == [1])
        h.completeMarkers()
        #expect(h.status("t") == .completeAbort)
        // The producer that let it time out is fenced; retrying its InitProducerId with its old
        // epoch recovers (KIP-360) with the bumped one.
        #expect(h.end("t", producer, commit: true) == .producerFenced)
        let recovered = h.initProducer("t", producerId: producer.producerId, epoch: producer.producerEpoch)
        #expect(recovered.error == .noError && recovered.producerEpoch == 1)
    }

    @Test func aNewLeaderFinishesWhatThePreviousOnePrepared() {
        var h = Harness()
        let producer = h.initProducer("t")
        #expect(h.add("t", producer, [Self.a0]) == .noError)
        #expect(h.end("t", producer, commit: true) == .noError)
        h.markerJobs = []  // the old coordinator died before writing its markers
        h.apply(h.state.handle(.resigned(partition: 0), now: h.now))
        #expect(h.state.status(of: "t") == .notCoordinator)
        h.lead(epoch: 2)
        #expect(h.markerJobs.count == 1 && h.markerJobs[0].commit && h.markerJobs[0].coordinatorEpoch == 2)
        h.completeMarkers()
        #expect(h.status("t") == .completeCommit)
    }

    @Test func resigningAnswersWaitingRequestsNotCoordinator() {
        var h = Harness()
        let producer = h.initProducer("t")
        let waiting = h.send { .addPartitions($0, AddPartitionsInput(transactionalId: "t", producerId: producer.producerId,
                                                                      producerEpoch: producer.producerEpoch, partitions: [Self.a0])) }
        h.apply(h.state.handle(.resigned(partition: 0), now: h.now))
        #expect(h.answers[waiting]?.error == .notCoordinator)
        // A failed write leaves the state as it was.
        h.appends = []
        h.lead(epoch: 2)
        let failed = h.send { .addPartitions($0, AddPartitionsInput(transactionalId: "t", producerId: producer.producerId,
                                                                     producerEpoch: producer.producerEpoch, partitions: [Self.a0])) }
        h.completeAppends(.notEnoughReplicas)
        #expect(h.answers[failed]?.error == .coordinatorNotAvailable)
        #expect(h.status("t") == .empty)
    }
}
