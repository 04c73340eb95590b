import Dispatch
import Foundation
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase
import SluiceStorage

/// The group coordinator at work: the pure ``GroupCoordinatorState`` behind a lock, with its
/// actions carried out — answers delivered to the waiting handlers, timers on an event loop,
/// appends to `__consumer_offsets` one at a time per partition, loads read off the event loops.
///
/// ```swift
/// let coordinator = GroupCoordinator(config: config, log: offsetsLog, timerLoop: loop, logger: logger)
/// coordinator.becameLeader(partition: 0)             // loads the partition's groups
/// let result = coordinator.join(input, on: eventLoop) // EventLoopFuture<JoinGroupResult>
/// ```
public final class GroupCoordinator: Sendable {
    public let config: GroupCoordinatorConfig
    private let log: any OffsetsLog
    private let timerLoop: any EventLoop
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    /// The state machine and the runtime's bookkeeping; every change happens under this lock.
    private let box: NIOLockedValueBox<Runtime>

    struct Runtime {
        var machine: GroupCoordinatorState
        var waiting: [RequestID: @Sendable (GroupResponse) -> Void] = [:]
        var nextRequest: RequestID = 0
        var timers: [CoordinatorTimer: (token: UInt64, task: Scheduled<Void>)] = [:]
        var nextTimerToken: UInt64 = 0
        /// Appends waiting for the one in flight, per partition.
        var appendQueues: [Int32: [(AppendID, RecordBatch)]] = [:]
        var appending: Set<Int32> = []
        var isShutDown = false
    }

    /// Effects decided under the lock, carried out after it is released.
    private struct Effects {
        var answers: [(@Sendable (GroupResponse) -> Void, GroupResponse)] = []
        var appends: [(Int32, AppendID, RecordBatch)] = []
        /// Appends whose records could not be encoded: they fail without reaching the log.
        var unencodable: [(Int32, AppendID)] = []
        var loads: [(Int32, LoadID)] = []
    }

    /// `clock` gives wall-clock milliseconds (commit timestamps are written with it).
    public init(config: GroupCoordinatorConfig, log: any OffsetsLog, timerLoop: any EventLoop, logger: Logger,
                clock: @escaping @Sendable () -> Int64 = GroupCoordinator.wallClockMs) {
        self.config = config
        self.log = log
        self.timerLoop = timerLoop
        self.clock = clock
        self.logger = logger
        self.box = NIOLockedValueBox(Runtime(machine: GroupCoordinatorState(config: config)))
    }

    public static let wallClockMs: @Sendable () -> Int64 = {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    // MARK: Partitions

    /// The offsets partition holding `groupId`.
    public func partition(for groupId: String) -> Int32 {
        box.withLockedValue { $0.machine.partition(for: groupId) }
    }

    /// The partition count of `__consumer_offsets` in use.
    public var partitionCount: Int32 { box.withLockedValue { $0.machine.partitionCount } }

    /// `__consumer_offsets` exists with `partitionCount` partitions, of which this broker leads
    /// `leading`: load them. Repeating it is harmless.
    public func start(partitionCount: Int32, leading: [Int32]) {
        let applied = box.withLockedValue { $0.machine.usePartitionCount(partitionCount) }
        if !applied {
            logger.error("\(OffsetsTopic.name) has \(partitionCount) partitions but the coordinator already uses \(self.partitionCount)")
        }
        for p in leading { becameLeader(partition: p) }
    }

    /// This broker leads offsets partition `partition`: load its groups from the log.
    public func becameLeader(partition: Int32) {
        guard !box.withLockedValue({ $0.isShutDown }) else { return }
        run(.becameLeader(partition: partition))
    }

    /// This broker no longer leads offsets partition `partition`: drop its groups.
    public func resigned(partition: Int32) {
        run(.resigned(partition: partition))
    }

    /// Whether this coordinator serves `groupId` now (`.noError`), or why not.
    public func status(of groupId: String) -> ErrorCode {
        box.withLockedValue { $0.machine.status(of: groupId) }
    }

    /// Gives every partition up (waiting requests are answered NOT_COORDINATOR, so that clients
    /// look for the coordinator again) and stops the timers.
    public func shutdown() {
        let effects = box.withLockedValue { rt -> Effects in
            var actions: [GroupCoordinatorAction] = []
            for p in rt.machine.ownedPartitions {
                actions += rt.machine.handle(.resigned(partition: p), now: clock())
            }
            let effects = self.process(actions, &rt)
            rt.isShutDown = true
            for (_, timer) in rt.timers { timer.task.cancel() }
            rt.timers = [:]
            return effects
        }
        perform(effects)
    }

    // MARK: Requests

    /// Hands a request to the state machine; `completion` gets the answer, now or later, exactly once.
    public func submit(_ makeEvent: (RequestID) -> GroupCoordinatorEvent,
                       completion: @escaping @Sendable (GroupResponse) -> Void) {
        let effects = box.withLockedValue { rt -> Effects in
            rt.nextRequest += 1
            let id = rt.nextRequest
            rt.waiting[id] = completion
            return self.process(rt.machine.handle(makeEvent(id), now: clock()), &rt)
        }
        perform(effects)
    }

    /// The answer to a request as a future on `eventLoop`.
    public func request(_ makeEvent: (RequestID) -> GroupCoordinatorEvent,
                        on eventLoop: any EventLoop) -> EventLoopFuture<GroupResponse> {
        let promise = eventLoop.makePromise(of: GroupResponse.self)
        submit(makeEvent) { promise.succeed($0) }
        return promise.futureResult
    }

    /// OffsetFetch for one group.
    public func fetchOffsets(groupId: String, partitions: [TopicPartition]?) -> OffsetFetchResult {
        box.withLockedValue { $0.machine.fetchOffsets(groupId: groupId, partitions: partitions) }
    }

    public func describeGroup(_ groupId: String) -> GroupDescription {
        box.withLockedValue { $0.machine.describeGroup(groupId) }
    }

    public func listGroups(states: [String] = [], types: [String] = []) -> (ErrorCode, [GroupListing]) {
        box.withLockedValue { $0.machine.listGroups(states: states, types: types) }
    }

    /// A marker of `producerId`'s transaction was appended to offsets partition `partition`
    /// (WriteTxnMarkers): its transactional offset commits there are committed or dropped.
    public func completeTransaction(partition: Int32, producerId: Int64, commit: Bool) {
        run(.transactionCompleted(partition: partition, producerId: producerId, commit: commit))
    }

    /// Whether an open transaction holds an offset of `groupId` for `tp` (OffsetFetch's
    /// `require_stable`).
    public func hasPendingTransactionalOffset(groupId: String, _ tp: TopicPartition) -> Bool {
        box.withLockedValue { $0.machine.hasPendingTransactionalOffset(groupId: groupId, tp) }
    }

    // MARK: Consumer groups (KIP-848)

    /// OffsetFetch for one group, checking the member (id, epoch) against a consumer group.
    public func fetchOffsets(groupId: String, partitions: [TopicPartition]?,
                             member: (id: String?, epoch: Int32)?) -> OffsetFetchResult {
        box.withLockedValue { $0.machine.fetchOffsets(groupId: groupId, partitions: partitions, member: member) }
    }

    public func describeConsumerGroup(_ groupId: String) -> ConsumerGroupDescription {
        box.withLockedValue { $0.machine.describeConsumerGroup(groupId) }
    }

    /// Tells the coordinator the cluster's topics when the metadata image moved on since it
    /// last heard (cheap when it has not: one comparison).
    public func noteTopics(_ image: MetadataImage) {
        let version = image.offset
        let stale = box.withLockedValue { $0.machine.topics.version < version }
        guard stale else { return }
        var topics: [String: ConsumerTopics.Topic] = [:]
        for (name, topic) in image.topics {
            topics[name] = ConsumerTopics.Topic(id: topic.id, partitions: Int32(topic.partitions.count),
                                                isInternal: topic.isInternal)
        }
        run(.topicsChanged(ConsumerTopics(version: version, topics)))
    }

    // MARK: The loop

    private func run(_ event: GroupCoordinatorEvent) {
        run([event])
    }

    /// Events handled in one critical section (a load and its open transactions' offsets).
    private func run(_ events: [GroupCoordinatorEvent]) {
        let effects = box.withLockedValue { rt -> Effects in
            let now = clock()
            return self.process(events.flatMap { rt.machine.handle($0, now: now) }, &rt)
        }
        perform(effects)
    }

    /// Turns actions into effects (under the lock): answers to deliver, timers to (re)arm, appends
    /// to queue, loads to start.
    private func process(_ actions: [GroupCoordinatorAction], _ rt: inout Runtime) -> Effects {
        var effects = Effects()
        for action in actions {
            switch action {
            case let .respond(id, response):
                if let answer = rt.waiting.removeValue(forKey: id) {
                    effects.answers.append((answer, response))
                }
            case let .schedule(timer, at):
                guard !rt.isShutDown else { continue }
                rt.timers[timer]?.task.cancel()
                rt.nextTimerToken += 1
                let token = rt.nextTimerToken
                let delay = max(0, at - clock())
                let task = timerLoop.scheduleTask(in: .milliseconds(delay)) { [weak self] () -> Void in
                    self?.timerFired(timer, token: token)
                }
                rt.timers[timer] = (token, task)
            case let .cancelTimers(partition):
                for (timer, scheduled) in rt.timers where timer.partition == partition {
                    scheduled.task.cancel()
                    rt.timers.removeValue(forKey: timer)
                }
            case .append(let partition, let id, let records, let timestamp),
                 .appendTransactional(let partition, let id, let records, _, _, let timestamp):
                do {
                    var producer: (Int64, Int16)?
                    if case let .appendTransactional(_, _, _, producerId, producerEpoch, _) = action {
                        producer = (producerId, producerEpoch)
                    }
                    let batch = try CoordinatorRecord.batch(records, timestamp: timestamp, transactionalProducer: producer)
                    rt.appendQueues[partition, default: []].append((id, batch))
                } catch {
                    logger.error("encoding \(records.count) records for \(OffsetsTopic.name)-\(partition) failed: \(error)")
                    effects.unencodable.append((partition, id))
                    continue
                }
                if !rt.appending.contains(partition), let next = rt.appendQueues[partition]?.first {
                    rt.appendQueues[partition]!.removeFirst()
                    rt.appending.insert(partition)
                    effects.appends.append((partition, next.0, next.1))
                }
            case let .load(partition, id):
                if !rt.isShutDown { effects.loads.append((partition, id)) }
            }
        }
        return effects
    }

    private func perform(_ effects: Effects) {
        for (answer, response) in effects.answers {
            answer(response)
        }
        for (partition, id) in effects.unencodable {
            appendFinished(partition, id, .unknownServerError, startedAppend: false)
        }
        for (partition, id, batch) in effects.appends {
            log.append(batch, toPartition: partition) { [weak self] error in
                self?.appendFinished(partition, id, error, startedAppend: true)
            }
        }
        for (partition, id) in effects.loads {
            DispatchQueue.global().async { [weak self] in
                self?.load(partition, id)
            }
        }
    }

    private func appendFinished(_ partition: Int32, _ id: AppendID, _ error: ErrorCode, startedAppend: Bool) {
        if error != .noError {
            logger.warning("append to \(OffsetsTopic.name)-\(partition) failed: \(error)")
        }
        let effects = box.withLockedValue { rt -> Effects in
            var effects = self.process(rt.machine.handle(.appendCompleted(partition: partition, id, error),
                                                         now: clock()), &rt)
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

    private func timerFired(_ timer: CoordinatorTimer, token: UInt64) {
        let effects = box.withLockedValue { rt -> Effects in
            // A timer re-armed since this one was scheduled wins.
            guard rt.timers[timer]?.token == token else { return Effects() }
            rt.timers.removeValue(forKey: timer)
            return self.process(rt.machine.handle(.timerFired(timer), now: clock()), &rt)
        }
        perform(effects)
    }

    /// Reads and replays a partition (blocking; on a global queue).
    private func load(_ partition: Int32, _ id: LoadID) {
        let started = clock()
        do {
            let (records, open) = try CoordinatorRecord.decodeResolvingTransactions(try log.readAll(partition: partition))
            logger.info("loaded \(records.count) records of \(OffsetsTopic.name)-\(partition) in \(clock() - started) ms")
            run([.loaded(partition: partition, id, records), .transactionalOffsetsLoaded(partition: partition, id, open)])
        } catch {
            logger.error("loading \(OffsetsTopic.name)-\(partition) failed: \(error)")
            run(.loadFailed(partition: partition, id))
        }
    }
}
