import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing

@testable import SluiceBroker

/// Drives a ``GroupCoordinatorState`` with simulated time: keeps its timers and fires them when
/// the clock passes them, completes its appends (into an in-memory log, through the real record
/// codec), serves its loads from that log, and records every answer, checking that each request
/// is answered exactly once.
struct GroupHarness {
    var state: GroupCoordinatorState
    var now: Int64 = 1_000_000
    var timers: [CoordinatorTimer: Int64] = [:]
    var responses: [RequestID: GroupResponse] = [:]
    var asked: Set<RequestID> = []
    var nextRequest: RequestID = 0
    /// The log of each offsets partition, as batches (encoded and decoded by the real codecs).
    var log: [Int32: [RecordBatch]] = [:]
    /// When false, appends wait in `heldAppends` until `completeHeldAppends`.
    var completeAppends = true
    var heldAppends: [(partition: Int32, id: AppendID, records: [CoordinatorRecord], timestamp: Int64)] = []
    /// When set, appends fail with this error instead of reaching the log.
    var appendError: ErrorCode?
    var memberIdCounter = 0
    /// When true, loads wait in `heldLoads` until `completeHeldLoads`.
    var holdLoads = false
    var heldLoads: [(partition: Int32, id: LoadID)] = []
    /// The version of the last ``ConsumerTopics`` sent (``setTopics(_:)``).
    var topicsVersion: Int64 = 0

    init(config: GroupCoordinatorConfig = .testing, leading partitions: [Int32]? = nil) {
        state = GroupCoordinatorState(config: config)
        for p in partitions ?? Array(0..<config.offsetsTopicPartitions) {
            send(.becameLeader(partition: p))
        }
    }

    // MARK: Driving

    mutating func send(_ event: GroupCoordinatorEvent) {
        apply(state.handle(event, now: now))
    }

    mutating func apply(_ actions: [GroupCoordinatorAction]) {
        var completions: [GroupCoordinatorEvent] = []
        for action in actions {
            switch action {
            case let .respond(id, response):
                #expect(asked.contains(id), "answer to a request never asked: \(id)")
                #expect(responses[id] == nil, "request \(id) answered twice: \(responses[id]!) then \(response)")
                responses[id] = response
            case let .schedule(timer, at):
                timers[timer] = at
            case let .append(partition, id, records, timestamp):
                if completeAppends {
                    completions.append(performAppend(partition, id, records, timestamp))
                } else {
                    heldAppends.append((partition, id, records, timestamp))
                }
            case let .load(partition, id) where holdLoads:
                heldLoads.append((partition, id))
            case let .load(partition, id):
                completions += loadEvents(partition, id)
            case let .appendTransactional(partition, id, records, producerId, producerEpoch, timestamp):
                // Transactional offset commits are completed at once, into the log as the broker writes them.
                if let appendError {
                    completions.append(.appendCompleted(partition: partition, id, appendError))
                } else {
                    log[partition, default: []].append(try! CoordinatorRecord.batch(
                        records, timestamp: timestamp, transactionalProducer: (producerId, producerEpoch)))
                    completions.append(.appendCompleted(partition: partition, id, .noError))
                }
            case let .cancelTimers(partition):
                timers = timers.filter { $0.key.partition != partition }
            }
        }
        for event in completions {
            send(event)
        }
    }

    private mutating func performAppend(_ partition: Int32, _ id: AppendID, _ records: [CoordinatorRecord],
                                        _ timestamp: Int64) -> GroupCoordinatorEvent {
        if let appendError {
            return .appendCompleted(partition: partition, id, appendError)
        }
        log[partition, default: []].append(try! CoordinatorRecord.batch(records, timestamp: timestamp))
        return .appendCompleted(partition: partition, id, .noError)
    }

    mutating func completeHeldAppends() {
        let held = heldAppends
        heldAppends = []
        var events: [GroupCoordinatorEvent] = []
        for a in held {
            events.append(performAppend(a.partition, a.id, a.records, a.timestamp))
        }
        for e in events { send(e) }
    }

    mutating func completeHeldLoads() {
        let held = heldLoads
        heldLoads = []
        for (partition, id) in held {
            for event in loadEvents(partition, id) { send(event) }
        }
    }

    /// What the runtime reports after reading a partition: its records (transactions resolved)
    /// and the offsets of transactions still open.
    func loadEvents(_ partition: Int32, _ id: LoadID) -> [GroupCoordinatorEvent] {
        let (records, open) = try! CoordinatorRecord.decodeResolvingTransactions(log[partition] ?? [])
        return [.loaded(partition: partition, id, records), .transactionalOffsetsLoaded(partition: partition, id, open)]
    }

    /// A transaction's marker reaching offsets partition `partition` (as WriteTxnMarkers appends it).
    mutating func endTransaction(partition: Int32, producerId: Int64, epoch: Int16 = 0, commit: Bool) {
        log[partition, default: []].append(try! EndTransactionMarker(commit: commit, coordinatorEpoch: 0)
            .batch(producerId: producerId, producerEpoch: epoch, timestamp: now))
        send(.transactionCompleted(partition: partition, producerId: producerId, commit: commit))
    }

    /// Gives up every partition and takes it back, reloading all groups from the log. Appends
    /// still held are lost, as a leader's unreplicated writes are when its leadership moves.
    mutating func reload() {
        heldAppends = []
        for p in state.activePartitions {
            send(.resigned(partition: p))
            send(.becameLeader(partition: p))
        }
    }

    /// Moves the clock forward, firing every timer that comes due, in deadline order.
    mutating func advance(by ms: Int64) {
        let target = now + ms
        while let (timer, at) = timers.filter({ $0.value <= target }).min(by: { ($0.value, "\($0.key)") < ($1.value, "\($1.key)") }) {
            timers.removeValue(forKey: timer)
            now = max(now, at)
            send(.timerFired(timer))
        }
        now = target
    }

    mutating func request() -> RequestID {
        nextRequest += 1
        asked.insert(nextRequest)
        return nextRequest
    }

    /// Requests asked and not answered yet.
    var unanswered: Set<RequestID> { asked.subtracting(responses.keys) }

    /// Every record of partition `p`'s log, decoded.
    func records(_ p: Int32) -> [CoordinatorRecord] {
        try! CoordinatorRecord.decode(log[p] ?? [])
    }

    func records(of groupId: String) -> [CoordinatorRecord] {
        records(state.partition(for: groupId)).filter { $0.groupId == groupId }
    }

    // MARK: Requests

    @discardableResult
    mutating func join(_ group: String, member: String = "", instance: String? = nil, client: String = "client",
                       session: Int32 = 10_000, rebalance: Int32 = 30_000, type: String = "consumer",
                       protocols: [GroupProtocol] = [.range(["t"])], requireKnownMemberId: Bool = true,
                       skipAssignment: Bool = true) -> RequestID {
        let id = request()
        memberIdCounter += 1
        send(.join(id, JoinGroupInput(
            groupId: group, memberId: member, groupInstanceId: instance, clientId: client, clientHost: "/127.0.0.1",
            sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, protocolType: type, protocols: protocols,
            requireKnownMemberId: requireKnownMemberId, supportsSkipAssignment: skipAssignment,
            memberIdSuffix: "uuid\(memberIdCounter)")))
        return id
    }

    @discardableResult
    mutating func sync(_ group: String, member: String, generation: Int32, instance: String? = nil,
                       assignments: [String: ByteBuffer] = [:]) -> RequestID {
        let id = request()
        send(.sync(id, SyncGroupInput(groupId: group, generationId: generation, memberId: member,
                                      groupInstanceId: instance, assignments: assignments)))
        return id
    }

    mutating func heartbeat(_ group: String, member: String, generation: Int32, instance: String? = nil) -> ErrorCode? {
        let id = request()
        send(.heartbeat(id, HeartbeatInput(groupId: group, generationId: generation, memberId: member,
                                           groupInstanceId: instance)))
        guard case let .heartbeat(error) = responses[id] else { return nil }
        return error
    }

    mutating func leave(_ group: String, _ members: [LeavingMember]) -> LeaveGroupResult? {
        let id = request()
        send(.leave(id, LeaveGroupInput(groupId: group, members: members)))
        guard case let .leave(result) = responses[id] else { return nil }
        return result
    }

    @discardableResult
    mutating func commit(_ group: String, member: String = "", generation: Int32 = -1, instance: String? = nil,
                         _ offsets: [OffsetCommitEntry], retention: Int64? = nil) -> RequestID {
        let id = request()
        send(.commit(id, OffsetCommitInput(groupId: group, generationId: generation, memberId: member,
                                           groupInstanceId: instance, retentionTimeMs: retention, offsets: offsets)))
        return id
    }

    mutating func deleteGroup(_ group: String) -> ErrorCode? {
        let id = request()
        send(.deleteGroup(id, groupId: group))
        guard case let .deleteGroup(error) = responses[id] else { return nil }
        return error
    }

    mutating func deleteOffsets(_ group: String, _ partitions: [TopicPartition]) -> OffsetDeleteResult? {
        let id = request()
        send(.deleteOffsets(id, OffsetDeleteInput(groupId: group, partitions: partitions)))
        guard case let .deleteOffsets(result) = responses[id] else { return nil }
        return result
    }

    func fetch(_ group: String, _ partitions: [TopicPartition]? = nil) -> OffsetFetchResult {
        state.fetchOffsets(groupId: group, partitions: partitions)
    }

    // MARK: Answers

    func joinResult(_ id: RequestID) -> JoinGroupResult? {
        guard case let .join(r) = responses[id] else { return nil }
        return r
    }

    func syncResult(_ id: RequestID) -> SyncGroupResult? {
        guard case let .sync(r) = responses[id] else { return nil }
        return r
    }

    func commitResult(_ id: RequestID) -> PartitionErrors? {
        guard case let .commit(r) = responses[id] else { return nil }
        return r
    }

    /// A new dynamic member's full join: MEMBER_ID_REQUIRED, then the JoinGroup with its id.
    /// Returns the second request (waiting until the rebalance completes) and the member id.
    mutating func joinNewMember(_ group: String, protocols: [GroupProtocol] = [.range(["t"])], session: Int32 = 10_000,
                                rebalance: Int32 = 30_000) -> (RequestID, String) {
        let first = join(group, session: session, rebalance: rebalance, protocols: protocols)
        let memberId = joinResult(first)!.memberId
        #expect(joinResult(first)!.error == .memberIdRequired)
        let second = join(group, member: memberId, session: session, rebalance: rebalance, protocols: protocols)
        return (second, memberId)
    }

    var describe: (String) -> GroupDescription { { [state] in state.describeGroup($0) } }
}

extension GroupCoordinatorConfig {
    /// Kafka's defaults with a small offsets topic and a 3 s initial delay.
    static var testing: GroupCoordinatorConfig {
        var c = GroupCoordinatorConfig()
        c.offsetsTopicPartitions = 4
        c.minSessionTimeoutMs = 1_000
        c.initialRebalanceDelayMs = 3_000
        return c
    }
}

extension GroupProtocol {
    /// A consumer-protocol subscription (version 1) to `topics` under assignor `name`.
    static func consumer(_ name: String, _ topics: [String], userData: String? = nil) -> GroupProtocol {
        var writer = WireWriter()
        writer.writeInt16(1)
        ConsumerProtocolSubscription(topics: topics, userData: userData.map { ByteBuffer(string: $0) })
            .encode(to: &writer, version: 1)
        return GroupProtocol(name: name, metadata: writer.buffer)
    }

    static func range(_ topics: [String]) -> GroupProtocol { consumer("range", topics) }
    static func roundrobin(_ topics: [String]) -> GroupProtocol { consumer("roundrobin", topics) }
}

extension ByteBuffer {
    static func text(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }
}
