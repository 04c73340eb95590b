import KafkaProtocol
@testable import SluiceBroker
import SluiceBase
import SluiceStorage

/// The controller side: registrations, heartbeats and fencing, AlterPartition, and pushing
/// partition states to replicas (a broker that reaches the controller again catches up, as a
/// KRaft broker replays the metadata log).
extension ReplicationSim {
    func controllerReceive(_ message: SimMessage) throws {
        switch message {
        case let .register(id, incarnation):
            guard let broker = brokers[id], broker.isUp, broker.incarnation == incarnation else { return }
            if registeredIncarnation[id] == incarnation, let known = controller.brokers[id], !known.fenced {
                // A repeated request of the same incarnation: answer again.
                brokers[id]!.lastHeartbeatSeen = now
                send(.controller, .broker(id), .registered(incarnation: incarnation, brokerEpoch: known.epoch))
                return
            }
            registeredIncarnation[id] = incarnation
            let (epoch, changed) = controller.register(id)
            brokers[id]!.lastHeartbeatSeen = now
            trace.record(now, "controller: broker \(id) registered with epoch \(epoch)")
            send(.controller, .broker(id), .registered(incarnation: incarnation, brokerEpoch: epoch))
            publish(changed)
            for tp in topics {
                if let state = controller.state(tp), state.replicas.contains(id) {
                    send(.controller, .broker(id), .partitionState(state))
                }
            }
        case let .heartbeat(id, incarnation):
            guard let broker = brokers[id], broker.incarnation == incarnation, broker.registered else { return }
            broker.lastHeartbeatSeen = now
            if controller.isFenced(id) {
                // Fenced while cut off: KRaft unfences a broker that heartbeats again with its
                // registration (same broker epoch).
                trace.record(now, "controller: unfenced broker \(id)")
                publish(controller.unfence(id))
            }
            for tp in topics {
                if let state = controller.state(tp), state.replicas.contains(id) {
                    send(.controller, .broker(id), .partitionState(state))
                }
            }
        case let .alterPartition(id, incarnation, requestId, bytes):
            let request = try SimWire.decode(AlterPartitionRequest.self, bytes, version: SimWire.alterPartitionVersion)
            let (response, changed) = controller.alterPartition(request, version: SimWire.alterPartitionVersion)
            for state in changed { trace.record(now, "controller: AlterPartition from \(id) → \(state)") }
            for topic in response.topics {
                for p in topic.partitions where p.errorCode != 0 {
                    trace.record(now, "controller: AlterPartition from \(id) for p\(p.partitionIndex) refused: \(ErrorCode(p.errorCode))")
                }
            }
            if response.errorCode != 0 { trace.record(now, "controller: AlterPartition from \(id) refused: \(ErrorCode(response.errorCode))") }
            countIsrChanges(changed)
            send(.controller, .broker(id), .alterPartitionResponse(incarnation: incarnation, id: requestId,
                                                                  bytes: SimWire.encodeResponse(response, version: SimWire.alterPartitionVersion)))
            publish(changed)
        default:
            break
        }
    }

    func controllerTick() {
        for id in options.brokers.sorted() {
            let broker = brokers[id]!
            guard !controller.isFenced(id), now - broker.lastHeartbeatSeen > options.sessionTimeoutMillis else { continue }
            let changed = controller.fence(id)
            trace.record(now, "controller: fenced broker \(id)")
            publish(changed)
        }
    }

    /// A controlled leader change to another in-sync replica (preferred-leader election).
    func moveLeader(_ tp: TopicPartition) {
        guard let state = controller.state(tp) else { return }
        let candidates = state.isr.filter { $0 != state.leader && !controller.isFenced($0) }
        guard let target = rng.pick(candidates), let moved = controller.moveLeader(tp, to: target) else { return }
        trace.record(now, "controller: moved leadership of \(tp) to \(target)")
        publish([moved])
    }

    /// Sends changed states to every replica of each partition.
    func publish(_ states: [PartitionState]) {
        for state in states {
            if let previous = publishedLeaders[state.topicPartition], previous != state.leaderEpoch { stats.leaderChanges += 1 }
            publishedLeaders[state.topicPartition] = state.leaderEpoch
            trace.record(now, "controller: publish \(state)")
            for id in state.replicas { send(.controller, .broker(id), .partitionState(state)) }
        }
    }

    private func countIsrChanges(_ states: [PartitionState]) {
        for state in states {
            let before = publishedIsr[state.topicPartition] ?? state.replicas
            if state.isr.count < before.count { stats.isrShrinks += 1 }
            if state.isr.count > before.count { stats.isrExpansions += 1 }
            publishedIsr[state.topicPartition] = state.isr
        }
    }
}
