import Dispatch
import Foundation
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase

/// The transaction coordinator at work: the pure ``TransactionCoordinatorState`` behind a lock,
/// its actions carried out — answers delivered, records appended to `__transaction_state` one
/// at a time per partition (acks=all), markers written through a ``TransactionMarkerWriter``,
/// loads read off the event loops, and the periodic abort of timed-out transactions.
///
/// ```swift
/// let coordinator = TransactionCoordinator(config: config, log: stateLog, markers: writer,
///                                          timerLoop: loop, logger: logger)
/// coordinator.becameLeader(partition: 3, coordinatorEpoch: 1)
/// coordinator.request({ .endTxn($0, input) }, on: eventLoop)   // EventLoopFuture<TransactionResult>
/// ```
public final class TransactionCoordinator: Sendable {
    public let config: TransactionCoordinatorConfig
    private let log: any OffsetsLog
    private let markers: any TransactionMarkerWriter
    private let timerLoop: any EventLoop
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private let box: NIOLockedValueBox<Runtime>

    struct Runtime {
        var machine: TransactionCoordinatorState
        var waiting: [RequestID: @Sendable (TransactionResult) -> Void] = [:]
        var nextRequest: RequestID = 0
        var appendQueues: [Int32: [(AppendID, RecordBatch)]] = [:]
        var appending: Set<Int32> = []
        var abortTask: RepeatedTask?
        var isShutDown = false
    }

    private struct Effects {
        var answers: [(@Sendable (TransactionResult) -> Void, TransactionResult)] = []
        var appends: [(Int32, AppendID, RecordBatch)] = []
        var unencodable: [(Int32, AppendID)] = []
        var loads: [(Int32, LoadID)] = []
        var markers: [MarkerJob] = []
    }

    public init(config: TransactionCoordinatorConfig, log: any OffsetsLog, markers: any TransactionMarkerWriter,
                timerLoop: any EventLoop, logger: Logger,
                clock: @escaping @Sendable () -> Int64 = GroupCoordinator.wallClockMs) {
        self.config = config
        self.log = log
        self.markers = markers
        self.timerLoop = timerLoop
        self.clock = clock
        self.logger = logger
        self.box = NIOLockedValueBox(Runtime(machine: TransactionCoordinatorState(config: config)))
    }

    // MARK: Partitions

    public func partition(for transactionalId: String) -> Int32 {
        box.withLockedValue { $0.machine.partition(for: transactionalId) }
    }

    public var partitionCount: Int32 { box.withLockedValue { $0.machine.partitionCount } }

    public func status(of transactionalId: String) -> ErrorCode {
        box.withLockedValue { $0.machine.status(of: transactionalId) }
    }

    public func transaction(_ transactionalId: String) -> TransactionMetadata? {
        box.withLockedValue { $0.machine.transaction(transactionalId) }
    }

    /// This broker leads `__transaction_state` partition `partition` (of `partitionCount`) at
    /// leader epoch `coordinatorEpoch`: load its transactional ids.
    public func becameLeader(partition: Int32, coordinatorEpoch: Int32, partitionCount: Int32? = nil) {
        let started = box.withLockedValue { rt -> Bool in
            guard !rt.isShutDown else { return false }
            if let partitionCount, !rt.machine.usePartitionCount(partitionCount) {
                logger.error("\(TransactionStateTopic.name) has \(partitionCount) partitions but the coordinator uses \(rt.machine.partitionCount)")
            }
            if rt.abortTask == nil {
                let interval = TimeAmount.milliseconds(Int64(config.abortTimedOutCleanupIntervalMs))
                rt.abortTask = timerLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
                    self?.run(.abortTimedOut)
                }
            }
            return true
        }
        if started { run(.becameLeader(partition: partition, coordinatorEpoch: coordinatorEpoch)) }
    }

    public func resigned(partition: Int32) {
        run(.resigned(partition: partition))
    }

    /// Looks for timed-out transactions now (tests; the timer does it every
    /// `transaction.abort.timed.out.transaction.cleanup.interval.ms`).
    public func abortTimedOutTransactions() {
        run(.abortTimedOut)
    }

    public func shutdown() {
        let effects = box.withLockedValue { rt -> Effects in
            var actions: [TransactionCoordinatorAction] = []
            for p in rt.machine.ownedPartitions {
                actions += rt.machine.handle(.resigned(partition: p), now: clock())
            }
            let effects = self.process(actions, &rt)
            rt.isShutDown = true
            rt.abortTask?.cancel()
            rt.abortTask = nil
            return effects
        }
        perform(effects)
    }

    // MARK: Requests

    public func submit(_ makeEvent: (RequestID) -> TransactionCoordinatorEvent,
                       completion: @escaping @Sendable (TransactionResult) -> Void) {
        let effects = box.withLockedValue { rt -> Effects in
            rt.nextRequest += 1
            let id = rt.nextRequest
            rt.waiting[id] = completion
            return self.process(rt.machine.handle(makeEvent(id), now: clock()), &rt)
        }
        perform(effects)
    }

    public func request(_ makeEvent: (RequestID) -> TransactionCoordinatorEvent,
                        on eventLoop: any EventLoop) -> EventLoopFuture<TransactionResult> {
        let promise = eventLoop.makePromise(of: TransactionResult.self)
        submit(makeEvent) { promise.succeed($0) }
        return promise.futureResult
    }

    // MARK: The loop

    private func run(_ event: TransactionCoordinatorEvent) {
        let effects = box.withLockedValue { rt -> Effects in
            self.process(rt.machine.handle(event, now: clock()), &rt)
        }
        perform(effects)
    }

    private func process(_ actions: [TransactionCoordinatorAction], _ rt: inout Runtime) -> Effects {
        var effects = Effects()
        for action in actions {
            switch action {
            case let .respond(id, result):
                if let answer = rt.waiting.removeValue(forKey: id) { effects.answers.append((answer, result)) }
            case let .append(partition, id, key, value):
                do {
                    let batch = try TransactionStateRecords.batch(key, value, timestamp: clock())
                    rt.appendQueues[partition, default: []].append((id, batch))
                } catch {
                    logger.error("encoding a record for \(TransactionStateTopic.name)-\(partition) failed: \(error)")
                    effects.unencodable.append((partition, id))
                    continue
                }
                if !rt.appending.contains(partition), let next = rt.appendQueues[partition]?.first {
                    rt.appendQueues[partition]!.removeFirst()
                    rt.appending.insert(partition)
                    effects.appends.append((partition, next.0, next.1))
                }
            case let .writeMarkers(job):
                if !rt.isShutDown { effects.markers.append(job) }
            case let .load(partition, id):
                if !rt.isShutDown { effects.loads.append((partition, id)) }
            }
        }
        return effects
    }

    private func perform(_ effects: Effects) {
        for (answer, result) in effects.answers { answer(result) }
        for (partition, id) in effects.unencodable {
            appendFinished(partition, id, .unknownServerError, startedAppend: false)
        }
        for (partition, id, batch) in effects.appends {
            log.append(batch, toPartition: partition) { [weak self] error in
                self?.appendFinished(partition, id, error, startedAppend: true)
            }
        }
        for (partition, id) in effects.loads {
            DispatchQueue.global().async { [weak self] in self?.load(partition, id) }
        }
        for job in effects.markers {
            markers.write(job, stillWanted: { [weak self] in self?.wants(job) ?? false }) { [weak self] in
                self?.run(.markersWritten(job))
            }
        }
    }

    /// Whether a marker job still matters: this coordinator still leads the partition at the
    /// job's epoch and the transaction still waits for these markers.
    private func wants(_ job: MarkerJob) -> Bool {
        box.withLockedValue { rt in
            guard !rt.isShutDown, let shard = rt.machine.shards[job.statePartition],
                  shard.coordinatorEpoch == job.coordinatorEpoch,
                  let metadata = shard.transactions[job.transactionalId] else { return false }
            return metadata.producerId == job.producerId && metadata.producerEpoch == job.producerEpoch
                && metadata.status == (job.commit ? .prepareCommit : .prepareAbort)
        }
    }

    private func appendFinished(_ partition: Int32, _ id: AppendID, _ error: ErrorCode, startedAppend: Bool) {
        if error != .noError {
            logger.warning("append to \(TransactionStateTopic.name)-\(partition) failed: \(error)")
        }
        let effects = box.withLockedValue { rt -> Effects in
            var effects = self.process(rt.machine.handle(.appendCompleted(partition: partition, id, error), now: clock()), &rt)
            if startedAppend {
                if let next = rt.appendQueues[partition]?.first {
                    rt.appendQueues[partition]!.removeFirst()
                    effects.appends.append((partition, next.0, next.1))
                } else {
                    rt.appending.remove(partition)
                }
            }
            return effects
        }
        perform(effects)
    }

    /// Reads and replays a partition (blocking; on a global queue).
    private func load(_ partition: Int32, _ id: LoadID) {
        let started = clock()
        do {
            let values = try TransactionStateRecords.replay(try log.readAll(partition: partition))
            logger.info("loaded \(values.count) transactional ids of \(TransactionStateTopic.name)-\(partition) in \(clock() - started) ms")
            run(.loaded(partition: partition, id, values))
        } catch {
            logger.error("loading \(TransactionStateTopic.name)-\(partition) failed: \(error)")
            run(.loadFailed(partition: partition, id))
        }
    }
}
