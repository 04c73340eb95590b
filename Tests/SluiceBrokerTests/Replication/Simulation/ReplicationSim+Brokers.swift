import KafkaProtocol
import NIOCore
@testable import SluiceBroker
import SluiceBase
import SluiceStorage

/// The broker side of the simulation: what `ReplicaManager` and the fetcher threads do in the
/// real broker, with simulated messages instead of sockets.
extension ReplicationSim {
    func brokerTick(_ broker: SimBroker) throws {
        guard let engine = broker.engine else { return }
        let expired = engine.expireWaiters(now: now)
        if !expired.isEmpty { try handle(ReplicationEffects(completions: expired), at: broker) }
        if now - broker.lastIsrCheck >= options.replication.isrShrinkCheckIntervalMs {
            broker.lastIsrCheck = now
            try handle(engine.checkIsr(now: now), at: broker)
        }
        if now - broker.lastCheckpoint >= options.checkpointMillis {
            broker.lastCheckpoint = now
            broker.checkpoint()
        }
        if now - broker.lastHeartbeat >= options.heartbeatMillis {
            broker.lastHeartbeat = now
            // Until registered, the broker keeps asking (the first request may have been lost).
            send(.broker(broker.id), .controller, broker.registered
                 ? .heartbeat(broker: broker.id, incarnation: broker.incarnation)
                 : .register(broker: broker.id, incarnation: broker.incarnation))
        }
        for source in engine.fetchSources { try tryFetch(broker, from: source) }
        tryAlterPartition(broker)
    }

    func brokerReceive(_ broker: SimBroker, _ message: SimMessage, from: Node) throws {
        guard let engine = broker.engine else { return }
        switch message {
        case let .registered(incarnation, epoch):
            guard incarnation == broker.incarnation else { return }
            broker.brokerEpoch = epoch
            broker.registered = true
            engine.brokerEpoch = epoch
        case let .partitionState(state):
            let log = try broker.log(for: state.topicPartition, now: now)
            let before = engine.partition(state.topicPartition)?.status
            let effects = engine.apply(state, log: log, now: now)
            let after = engine.partition(state.topicPartition)?.status
            if after?.isLeader == true && (before?.isLeader != true || before?.leaderEpoch != after?.leaderEpoch) {
                trace.record(now, "broker \(broker.id) leads \(state)")
            }
            try handle(effects, at: broker)
        case let .fetch(follower, incarnation, id, bytes):
            let request = try SimWire.decode(FetchRequest.self, bytes, version: SimWire.fetchVersion)
            let park = broker.nextParkId
            broker.nextParkId += 1
            broker.parkedFetches[park] = SimBroker.ParkedFetch(follower: follower, followerIncarnation: incarnation,
                                                                requestId: id, request: request,
                                                                deadline: now + Int64(request.maxWaitMs))
            try reserveParkedFetch(broker, park, force: false)
        case let .fetchResponse(incarnation, id, bytes):
            guard incarnation == broker.incarnation, case let .broker(source) = from,
                  broker.fetchesInFlight[source] == id else { return }
            broker.fetchesInFlight[source] = nil
            let response = try SimWire.decodeResponse(FetchResponse.self, bytes, version: SimWire.fetchVersion)
            trace.record(now, "broker \(broker.id) fetched from \(source): " + response.responses.flatMap { topic in
                topic.partitions.map { p in
                    "\(topic.topic)-\(p.partitionIndex) \(ErrorCode(p.errorCode)) hw \(p.highWatermark)"
                        + (p.divergingEpoch.endOffset >= 0 ? " diverging \(p.divergingEpoch.epoch)@\(p.divergingEpoch.endOffset)" : "")
                        + " \(p.records?.byteCount ?? 0)B"
                }
            }.joined(separator: ", "))
            try handle(engine.fetchAnswered(id, from: source, response: response, now: now), at: broker)
            try tryFetch(broker, from: source)
        case let .alterPartitionResponse(incarnation, id, bytes):
            guard incarnation == broker.incarnation, broker.alterInFlight == id else { return }
            broker.alterInFlight = nil
            let response = try SimWire.decodeResponse(AlterPartitionResponse.self, bytes,
                                                      version: SimWire.alterPartitionVersion)
            try handle(engine.alterPartitionAnswered(id, response: response, version: SimWire.alterPartitionVersion,
                                                     now: now), at: broker)
            tryAlterPartition(broker)
        case let .produce(request):
            try produce(request, at: broker)
        default:
            break
        }
    }

    /// Serves a parked follower fetch again; answers when it has data or news, or when `force`
    /// (its wait is over).
    func reserveParkedFetch(_ broker: SimBroker, _ park: UInt64, force: Bool) throws {
        guard let engine = broker.engine, let parked = broker.parkedFetches[park] else { return }
        let request = parked.request
        let targets = request.topics.flatMap { topic in
            topic.partitions.map { p in
                ReplicaFetchTarget(topicPartition: TopicPartition(topic.topic, p.partition),
                                   currentLeaderEpoch: p.currentLeaderEpoch, fetchOffset: p.fetchOffset,
                                   lastFetchedEpoch: p.lastFetchedEpoch, logStartOffset: p.logStartOffset,
                                   partitionMaxBytes: Int(p.partitionMaxBytes))
            }
        }
        let replica = request.replica(version: SimWire.fetchVersion)
        let (served, effects) = engine.serveReplicaFetch(replicaId: replica.id, brokerEpoch: replica.brokerEpoch,
                                                         targets: targets, maxBytes: Int(request.maxBytes), now: now)
        let ready = force || served.bytes >= Int(request.minBytes) || served.hasNews || now >= parked.deadline
        if !ready {
            served.release()
            queue.schedule(at: parked.deadline, .parkedFetchDue(broker.id, incarnation: broker.incarnation, park: park))
        } else {
            broker.parkedFetches[park] = nil
            var response = FetchResponse(errorCode: 0, sessionId: 0)
            var partitions = try SimWire.inMemory(served)[...]
            for topic in request.topics {
                let count = topic.partitions.count
                response.responses.append(.init(topic: topic.topic, partitions: Array(partitions.prefix(count))))
                partitions = partitions.dropFirst(count)
            }
            send(.broker(broker.id), .broker(parked.follower),
                 .fetchResponse(incarnation: parked.followerIncarnation, id: parked.requestId,
                                bytes: SimWire.encodeResponse(response, version: SimWire.fetchVersion)))
        }
        try handle(effects, at: broker)
    }

    func tryFetch(_ broker: SimBroker, from source: Int32) throws {
        guard let engine = broker.engine, broker.fetchesInFlight[source] == nil,
              let planned = engine.nextFetch(from: source, now: now) else { return }
        let request = planned.request(replicaId: broker.id, brokerEpoch: broker.brokerEpoch, config: options.replication)
        broker.fetchesInFlight[source] = planned.id
        trace.record(now, "broker \(broker.id) fetch \(planned.id) to \(source): " + planned.partitions.map {
            "\($0.topicPartition)@\($0.leaderEpoch) offset \($0.position.fetchOffset) last epoch \($0.position.lastFetchedEpoch)"
        }.joined(separator: ", "))
        send(.broker(broker.id), .broker(source),
             .fetch(follower: broker.id, incarnation: broker.incarnation, id: planned.id,
                    bytes: SimWire.encode(request, version: SimWire.fetchVersion)))
        queue.schedule(at: now + options.replication.socketTimeoutMs,
                       .fetchTimeout(broker.id, incarnation: broker.incarnation, source: source, id: planned.id))
    }

    func tryAlterPartition(_ broker: SimBroker) {
        guard let engine = broker.engine, broker.alterInFlight == nil,
              let (id, request) = engine.nextAlterPartition(now: now) else { return }
        broker.alterInFlight = id
        send(.broker(broker.id), .controller,
             .alterPartition(broker: broker.id, incarnation: broker.incarnation, id: id,
                             bytes: SimWire.encode(request, version: SimWire.alterPartitionVersion)))
        queue.schedule(at: now + options.replication.socketTimeoutMs,
                       .alterTimeout(broker.id, incarnation: broker.incarnation, id: id))
    }

    func produce(_ request: SimProduceRequest, at broker: SimBroker) throws {
        guard let engine = broker.engine else { return }
        let client = clients[request.client]
        var builder = RecordBatchBuilder(producerId: client.producerId, producerEpoch: client.idempotent ? 0 : -1,
                                         baseSequence: client.idempotent ? request.sequence : -1)
        for value in request.values { builder.append(key: nil, value: ByteBuffer(string: value), timestamp: now) }
        let batch = try builder.build()
        guard let partition = engine.partition(request.topicPartition) else {
            send(.broker(broker.id), .client, .produceResponse(client: request.client, requestId: request.requestId,
                                                               error: .notLeaderOrFollower, baseOffset: -1))
            return
        }
        // The broker's path: queued on the partition, run by its appender (here at once: one thread).
        let queued = QueuedAppend(records: .batches(batch.bytes), requiredAcks: request.acks,
                                  timeoutMs: options.produceTimeoutMillis, token: request)
        guard partition.enqueue(queued) else { throw failure("an appender was left running on \(request.topicPartition)") }
        var round: AppendRound<SimProduceRequest>
        repeat {
            round = partition.runQueuedAppends(limit: 4, clock: { now })
            try handle(round.effects, at: broker)
        } while round.more
    }

    /// Carries out an engine's effects on a simulated broker.
    func handle(_ effects: SimBroker.Effects, at broker: SimBroker) throws {
        for completion in effects.completions {
            let request = completion.token
            switch completion.result {
            case let .success(info):
                send(.broker(broker.id), .client, .produceResponse(client: request.client, requestId: request.requestId,
                                                                   error: .noError, baseOffset: info.firstOffset))
            case let .failure(error):
                send(.broker(broker.id), .client, .produceResponse(client: request.client, requestId: request.requestId,
                                                                   error: error.code, baseOffset: -1))
            }
        }
        for truncation in effects.truncations {
            stats.truncations += 1
            trace.record(now, "broker \(broker.id) truncated \(truncation.topicPartition) from \(truncation.fromLogEnd) to \(truncation.toOffset) (hw \(truncation.highWatermarkBefore))")
            try checker.truncated(broker: broker.id, incarnation: broker.incarnation, truncation, sim: self)
        }
        if !effects.appended.isEmpty {
            let grown = Set(effects.appended.map(\.0))
            let waiting = broker.parkedFetches.filter { _, parked in
                parked.request.topics.contains { topic in
                    topic.partitions.contains { grown.contains(TopicPartition(topic.topic, $0.partition)) }
                }
            }.keys.sorted()
            for park in waiting { try reserveParkedFetch(broker, park, force: false) }
        }
        for source in effects.fetchersToKick.sorted() { try tryFetch(broker, from: source) }
        if effects.alterPartitionPending { tryAlterPartition(broker) }
    }
}
