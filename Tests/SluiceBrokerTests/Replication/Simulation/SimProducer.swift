import KafkaProtocol
@testable import SluiceBroker
import SluiceBase
import SluiceStorage

/// A simulated producer of one partition. Idempotent producers send `acks=all` batches one at a
/// time and retry a batch (same sequence) until it is acknowledged, as Kafka's idempotent
/// producer does; `acks=1` producers fire batches at whoever they believe leads, never retry,
/// and make divergent tails for followers to truncate.
struct SimProducer {
    let index: Int
    let idempotent: Bool
    let producerId: Int64
    let topicPartition: TopicPartition
    var nextSequence: Int32 = 0
    var counter = 0
    var pending: [String]?
    var inFlight: (requestId: UInt64, sentAt: Int64)?
}

extension ReplicationSim {
    func clientTick(_ index: Int) throws {
        var client = clients[index]
        defer {
            clients[index] = client
            queue.schedule(at: now + Int64(20 + rng.below(180)), .clientTick(index))
        }
        guard let state = controller.state(client.topicPartition) else { return }
        if client.idempotent {
            // An unacknowledged batch is retried even when producing stops (it may be committed).
            guard producing || client.pending != nil else { return }
            if let inFlight = client.inFlight, now - inFlight.sentAt > options.produceTimeoutMillis + 2_000 {
                client.inFlight = nil
                stats.timeouts += 1
            }
            guard client.inFlight == nil, state.leader >= 0 else { return }
            if client.pending == nil {
                let count = 1 + rng.below(3)
                client.pending = (0..<count).map { "c\(index)-s\(Int(client.nextSequence) + $0)" }
            }
            let id = nextRequestId
            nextRequestId += 1
            client.inFlight = (id, now)
            send(.client, .broker(state.leader),
                 .produce(SimProduceRequest(client: index, requestId: id, topicPartition: client.topicPartition, acks: -1,
                                            sequence: client.nextSequence, values: client.pending!)))
        } else if producing {
            // Sometimes a stale view of the leader: zombie leaders take these writes.
            let target = rng.chance(0.3) || state.leader < 0 ? rng.pick(state.replicas)! : state.leader
            let count = 1 + rng.below(4)
            let values = (0..<count).map { "u\(index)-\(client.counter + $0)" }
            client.counter += count
            let id = nextRequestId
            nextRequestId += 1
            send(.client, .broker(target),
                 .produce(SimProduceRequest(client: index, requestId: id, topicPartition: client.topicPartition, acks: 1,
                                            sequence: -1, values: values)))
        }
    }

    func clientReceive(_ message: SimMessage) throws {
        guard case let .produceResponse(index, requestId, error, baseOffset) = message else { return }
        var client = clients[index]
        defer { clients[index] = client }
        guard client.idempotent, client.inFlight?.requestId == requestId, let values = client.pending else { return }
        client.inFlight = nil
        switch error {
        case .noError:
            trace.record(now, "client \(index): acked \(values) at \(baseOffset)")
            try checker.acknowledged(client.topicPartition, baseOffset: baseOffset, values: values, sim: self)
            stats.acked += 1
            stats.ackedRecords += values.count
            client.nextSequence += Int32(values.count)
            client.pending = nil
        case .outOfOrderSequenceNumber, .unknownProducerId, .invalidProducerEpoch:
            throw failure("client \(index): \(error) for \(values): the leader lost an acknowledged batch of this producer")
        case .notEnoughReplicas, .notEnoughReplicasAfterAppend:
            stats.notEnoughReplicas += 1
        case .requestTimedOut:
            stats.timeouts += 1
        default:
            break
        }
    }
}
