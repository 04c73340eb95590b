import SluiceBase
import Synchronization
import KafkaProtocol
import NIOCore
import SluiceClient

/// Runs the Tail view's consumer: a group-less consumer assigned to the tailed partitions, started
/// at the requested position, delivering messages to the inbox in batches. Commands are handled
/// in order by one task, so "start, then seek" never races.
public final class TailRunner: Sendable {
    public enum Command: Sendable {
        case start(TailTarget, TailPosition)
        case seek(TailPosition)
        case pause(Bool)
        case stop
    }

    private let client: KafkaClient
    private let inbox: EventInbox
    private let commands: AsyncStream<Command>
    private let continuation: AsyncStream<Command>.Continuation

    public init(client: KafkaClient, inbox: EventInbox) {
        self.client = client
        self.inbox = inbox
        (commands, continuation) = AsyncStream.makeStream(of: Command.self)
    }

    public func send(_ command: Command) { continuation.yield(command) }
    public func finish() { continuation.finish() }

    /// Handles commands until `finish()`; each start or seek replaces the running consumer.
    public func run() async {
        var target: TailTarget?
        var reader: Task<Void, Never>?
        var paused = false
        for await command in commands {
            switch command {
            case .start(let t, let position):
                reader?.cancel()
                await reader?.value
                target = t
                paused = false
                reader = startReader(t, position)
            case .seek(let position):
                guard let t = target else { continue }
                reader?.cancel()
                await reader?.value
                paused = false
                reader = startReader(t, position)
            case .pause(let p):
                guard p != paused, let t = target else { continue }
                paused = p
                reader?.cancel()
                await reader?.value
                // Resuming continues where the tail stopped: the last offset delivered + 1 per partition.
                reader = p ? nil : startReader(t, nil)
            case .stop:
                reader?.cancel()
                await reader?.value
                reader = nil
                target = nil
            }
        }
        reader?.cancel()
        await reader?.value
    }

    private let positions = PositionBook()

    /// Reads until cancelled. When the cluster fails under it (the leader was killed), it says so,
    /// waits a second and carries on from the last message it delivered. After a seek that
    /// anchors (the beginning, an offset, a time) it stops once it delivered a view's worth.
    ///
    /// The topic's id is checked every second: a topic that is deleted is said to be (the tail
    /// then waits for it), and one created again under the same name — a new topic, with new
    /// offsets — is tailed from its beginning, never mixed with what the old one had.
    private func startReader(_ target: TailTarget, _ position: TailPosition?) -> Task<Void, Never> {
        Task { [client, inbox, positions] in
            var start = position
            if start != nil { positions.reset() }
            var window = (position?.anchors ?? false) ? TailWindow(TailState.capacity) : nil
            let identity = TopicIdentity()
            var saidMissing = false
            while !Task.isCancelled {
                do {
                    try await Self.read(target, from: start, client: client, inbox: inbox, positions: positions, window: window,
                                        identity: identity)
                    if window?.isFull == true {
                        inbox.post(.tailWindowFull)
                        break
                    }
                } catch let change as TopicChange {
                    if Task.isCancelled { break }
                    switch change {
                    case .missing:
                        if !saidMissing { inbox.post(.tailTopicMissing(deleted: identity.id != nil)) }
                        saidMissing = true
                        try? await Task.sleep(for: .seconds(1))
                    case .replaced(let id):
                        identity.id = id
                        positions.reset()
                        start = .beginning
                        window = nil
                        saidMissing = false
                        inbox.post(.tailTopicRecreated)
                    }
                } catch {
                    if Task.isCancelled { break }
                    inbox.post(.tailFailed(KafkaClusterSource.words(error) + " (retrying)"))
                    try? await Task.sleep(for: .seconds(1))
                    if positions.hasAny { start = nil }  // resume after what was delivered
                }
            }
        }
    }

    /// One consumer's life: assign, then deliver batches until cancelled or failed.
    private static func read(_ target: TailTarget, from position: TailPosition?, client: KafkaClient, inbox: EventInbox,
                             positions: PositionBook, window: TailWindow?, identity: TopicIdentity) async throws {
        let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(
            groupId: nil, autoOffsetReset: .latest, enableAutoCommit: false, fetchMaxWait: .milliseconds(250)))
        do {
            let topic = try await checkTopic(target.topic, client: client, identity: identity)
            let partitions = topic.partitions.map(\.partition).filter { target.partition == nil || $0 == target.partition }
            guard !partitions.isEmpty else {
                throw KafkaClientError.broker(.unknownTopicOrPartition, resource: "partition \(target.description)")
            }
            let tps = partitions.map { TopicPartition(target.topic, $0) }
            var starts: [TopicPartition: StartPosition] = [:]
            if let position {
                starts = try await startPositions(position, tps, client: client)
            } else {
                for tp in tps { starts[tp] = positions.next(tp).map { .offset($0) } ?? .latest }
            }
            try await consumer.assign(starts)
            inbox.post(.tailMessages([]))  // reading: clears an earlier error
            var checked = Clocks.monotonic()
            while !Task.isCancelled, window?.isFull != true {
                if Clocks.monotonic() - checked >= 1 {
                    checked = Clocks.monotonic()
                    _ = try await checkTopic(target.topic, client: client, identity: identity)
                }
                var records = try await consumer.poll(maxRecords: 500, timeout: .milliseconds(250))
                if records.isEmpty || Task.isCancelled { continue }
                // An anchored window takes what fits; the rest is read again after a resume.
                if let window { records = Array(records.prefix(window.take(records.count))) }
                for r in records { positions.delivered(r.topicPartition, r.offset) }
                inbox.post(.tailMessages(records.map(message)))
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
    }

    /// The topic as the cluster has it now, the same one the tail read so far; throws
    /// ``TopicChange`` when it is gone or is another topic of the same name.
    private static func checkTopic(_ name: String, client: KafkaClient, identity: TopicIdentity) async throws -> TopicInfo {
        let metadata = try await client.metadata(topics: [name], refresh: true)
        guard let topic = metadata.topics[name] else { throw TopicChange.missing }
        if topic.error == .unknownTopicOrPartition || topic.error == .unknownTopicId { throw TopicChange.missing }
        if topic.error.isError { throw KafkaClientError.broker(topic.error, resource: "topic '\(name)'") }
        if topic.topicId != .zero {
            if let known = identity.id, known != topic.topicId { throw TopicChange.replaced(topic.topicId) }
            identity.id = topic.topicId
        }
        return topic
    }

    static func startPositions(_ position: TailPosition, _ tps: [TopicPartition], client: KafkaClient)
        async throws -> [TopicPartition: StartPosition]
    {
        switch position {
        case .beginning: return Dictionary(uniqueKeysWithValues: tps.map { ($0, .earliest) })
        case .end: return Dictionary(uniqueKeysWithValues: tps.map { ($0, .latest) })
        case .offset(let o): return Dictionary(uniqueKeysWithValues: tps.map { ($0, .offset(o)) })
        // Negative timestamps are ListOffsets' codes for the end (-1) and the beginning (-2): a time
        // before 1970 asks for the beginning, like any time before the log's first message.
        case .timestamp(let t) where t <= 0: return Dictionary(uniqueKeysWithValues: tps.map { ($0, .earliest) })
        case .timestamp(let t): return Dictionary(uniqueKeysWithValues: tps.map { ($0, .timestamp(t)) })
        case .recent(let n):
            let ends = try await client.listOffsets(Dictionary(uniqueKeysWithValues: tps.map { ($0, .latest) }))
            let starts = try await client.listOffsets(Dictionary(uniqueKeysWithValues: tps.map { ($0, .earliest) }))
            return Dictionary(uniqueKeysWithValues: tps.map { tp in
                (tp, .offset(max(starts[tp] ?? 0, (ends[tp] ?? 0) - Int64(n))))
            })
        }
    }

    static func message(_ r: ConsumerRecord) -> TailMessage {
        TailMessage(partition: r.partition, offset: r.offset, timestamp: r.timestamp,
                    key: r.key.map { Array($0.readableBytesView) }, value: r.value.map { Array($0.readableBytesView) },
                    headers: r.headers.map { TailMessage.Header(key: $0.key, value: $0.value.map { Array($0.readableBytesView) }) })
    }
}

/// What happened to the tailed topic.
enum TopicChange: Error {
    /// The cluster no longer (or not yet) has it.
    case missing
    /// A topic of the same name with another id: the old one was deleted and this one created.
    case replaced(KafkaUUID)
}

/// The id of the topic the tail reads (nil until known).
final class TopicIdentity: Sendable {
    private let value = Mutex<KafkaUUID?>(nil)
    var id: KafkaUUID? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// How many more messages an anchored tail may deliver.
final class TailWindow: Sendable {
    private let left: Mutex<Int>
    init(_ size: Int) { left = Mutex(size) }
    /// Takes up to `n` of what is left; returns how many were taken.
    func take(_ n: Int) -> Int {
        left.withLock { l in
            let t = min(l, n)
            l -= t
            return t
        }
    }
    var isFull: Bool { left.withLock { $0 == 0 } }
}

/// The next offset to read per partition, so a resumed tail continues where it paused.
final class PositionBook: Sendable {
    private let offsets = Mutex<[TopicPartition: Int64]>([:])
    func delivered(_ tp: TopicPartition, _ offset: Int64) { offsets.withLock { $0[tp] = offset + 1 } }
    func next(_ tp: TopicPartition) -> Int64? { offsets.withLock { $0[tp] } }
    func reset() { offsets.withLock { $0 = [:] } }
    var hasAny: Bool { offsets.withLock { !$0.isEmpty } }
}
