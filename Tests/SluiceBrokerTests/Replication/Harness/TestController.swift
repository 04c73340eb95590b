import KafkaProtocol
@testable import SluiceBroker
import SluiceBase
import SluiceStorage

/// TEST HARNESS, not the product's controller: the partition metadata a KRaft controller keeps
/// (replicas, ISR, leader, epochs, broker registrations and fencing), with Kafka's rules for
/// AlterPartition and leader election, for the replication simulation and the in-process
/// multi-broker tests until the cluster's real controller is merged.
///
/// Rules (Kafka's `ReplicationControlManager`):
/// - AlterPartition: STALE_BROKER_EPOCH for an old registration; FENCED_LEADER_EPOCH when the
///   leader epoch differs; INVALID_REQUEST when the sender is not the leader, the ISR has a
///   non-replica, or lacks the leader; INVALID_UPDATE_VERSION when the partition epoch differs;
///   INELIGIBLE_REPLICA for a fenced member or a member whose broker epoch is not current.
///   Success bumps the partition epoch and answers the new state.
/// - Fencing a broker removes it from every ISR unless it is the last member; a partition it led
///   gets the first unfenced ISR member (in replica order) as leader, or none (-1).
/// - Leaders are only ever elected from the ISR (no unclean election); every leader change bumps
///   the leader epoch; every change bumps the partition epoch.
struct TestController {
    struct Broker: Equatable {
        var epoch: Int64
        var fenced: Bool
    }

    private(set) var partitions: [TopicPartition: PartitionState] = [:]
    private(set) var brokers: [Int32: Broker] = [:]
    private var nextBrokerEpoch: Int64 = 100

    func state(_ tp: TopicPartition) -> PartitionState? { partitions[tp] }

    func isFenced(_ id: Int32) -> Bool { brokers[id]?.fenced ?? true }

    mutating func createPartition(_ tp: TopicPartition, replicas: [Int32], topicId: KafkaUUID = .zero) -> PartitionState {
        let live = replicas.filter { !isFenced($0) }
        let state = PartitionState(topicPartition: tp, topicId: topicId, replicas: replicas, isr: replicas,
                                   leader: live.first ?? replicas[0], leaderEpoch: 0, partitionEpoch: 0)
        partitions[tp] = state
        return state
    }

    /// A broker (re)registers with a new incarnation: its previous registration is fenced first
    /// (partitions it led move to others), then it is unfenced with a new broker epoch, and
    /// leaderless partitions whose ISR holds it elect it.
    mutating func register(_ id: Int32) -> (epoch: Int64, changed: [PartitionState]) {
        var changed = brokers[id] != nil ? fence(id) : []
        let epoch = nextBrokerEpoch
        nextBrokerEpoch += 1
        brokers[id] = Broker(epoch: epoch, fenced: false)
        for tp in partitions.keys.sorted() {
            var state = partitions[tp]!
            guard state.leader < 0, state.isr.contains(id) else { continue }
            state.leader = id
            state.leaderEpoch += 1
            state.partitionEpoch += 1
            partitions[tp] = state
            changed.append(state)
        }
        return (epoch, Self.latest(changed))
    }

    /// A fenced broker heartbeats again with its current registration: it is unfenced (same
    /// broker epoch), and leaderless partitions whose ISR holds it elect it.
    mutating func unfence(_ id: Int32) -> [PartitionState] {
        guard brokers[id]?.fenced == true else { return [] }
        brokers[id]!.fenced = false
        var changed: [PartitionState] = []
        for tp in partitions.keys.sorted() {
            var state = partitions[tp]!
            guard state.leader < 0, state.isr.contains(id) else { continue }
            state.leader = id
            state.leaderEpoch += 1
            state.partitionEpoch += 1
            partitions[tp] = state
            changed.append(state)
        }
        return changed
    }

    /// The broker missed its session: out of every ISR it is not the last member of, and no
    /// longer leader anywhere.
    mutating func fence(_ id: Int32) -> [PartitionState] {
        brokers[id]?.fenced = true
        var changed: [PartitionState] = []
        for tp in partitions.keys.sorted() {
            var state = partitions[tp]!
            let before = state
            if state.isr.contains(id) && state.isr.count > 1 { state.isr.removeAll { $0 == id } }
            if state.leader == id {
                state.leader = state.replicas.first { state.isr.contains($0) && !isFenced($0) } ?? -1
                state.leaderEpoch += 1
            }
            if state != before {
                state.partitionEpoch += 1
                partitions[tp] = state
                changed.append(state)
            }
        }
        return changed
    }

    /// A controlled leader change (preferred-leader election) to another unfenced ISR member.
    mutating func moveLeader(_ tp: TopicPartition, to id: Int32) -> PartitionState? {
        guard var state = partitions[tp], state.leader != id, state.isr.contains(id), !isFenced(id) else { return nil }
        state.leader = id
        state.leaderEpoch += 1
        state.partitionEpoch += 1
        partitions[tp] = state
        return state
    }

    /// Handles an AlterPartition request (any version 0-3) with Kafka's validation.
    mutating func alterPartition(_ request: AlterPartitionRequest, version: Int16) -> (AlterPartitionResponse, [PartitionState]) {
        var response = AlterPartitionResponse()
        guard let sender = brokers[request.brokerId], request.brokerEpoch == -1 || request.brokerEpoch == sender.epoch else {
            response.errorCode = ErrorCode.staleBrokerEpoch.rawValue
            return (response, [])
        }
        var changed: [PartitionState] = []
        for topic in request.topics {
            var answers = AlterPartitionResponse.TopicData(topicName: topic.topicName, topicId: topic.topicId)
            for data in topic.partitions {
                let name = version >= 2 ? partitions.values.first { $0.topicId == topic.topicId }?.topicPartition.topic
                    : topic.topicName
                let tp = TopicPartition(name ?? "", data.partitionIndex)
                var answer = AlterPartitionResponse.PartitionData(partitionIndex: data.partitionIndex)
                guard name != nil, var state = partitions[tp] else {
                    answer.errorCode = (version >= 2 ? ErrorCode.unknownTopicId : .unknownTopicOrPartition).rawValue
                    answers.partitions.append(answer)
                    continue
                }
                let newIsr = version >= 3 ? data.newIsrWithEpochs.map(\.brokerId) : data.newIsr
                let code = validate(data, newIsr: newIsr, state: state, sender: request.brokerId, version: version)
                if code == .noError {
                    state.isr = newIsr
                    state.partitionEpoch += 1
                    partitions[tp] = state
                    changed.append(state)
                }
                answer.errorCode = code.rawValue
                answer.leaderId = state.leader
                answer.leaderEpoch = state.leaderEpoch
                answer.isr = state.isr
                answer.partitionEpoch = state.partitionEpoch
                answers.partitions.append(answer)
            }
            response.topics.append(answers)
        }
        return (response, changed)
    }

    private func validate(_ data: AlterPartitionRequest.PartitionData, newIsr: [Int32], state: PartitionState,
                          sender: Int32, version: Int16) -> ErrorCode {
        if data.leaderEpoch != state.leaderEpoch { return .fencedLeaderEpoch }
        if sender != state.leader { return .invalidRequest }
        if data.partitionEpoch != state.partitionEpoch { return .invalidUpdateVersion }
        if newIsr.isEmpty || Set(newIsr).count != newIsr.count || !newIsr.allSatisfy(state.replicas.contains) {
            return .invalidRequest
        }
        if !newIsr.contains(state.leader) { return .invalidRequest }
        let ineligible = newIsr.contains { id in
            guard let broker = brokers[id], !broker.fenced else { return true }
            if version >= 3, let epoch = data.newIsrWithEpochs.first(where: { $0.brokerId == id })?.brokerEpoch,
               epoch != -1, epoch != broker.epoch {
                return true
            }
            return false
        }
        if ineligible { return version > 1 ? .ineligibleReplica : .operationNotAttempted }
        return .noError
    }

    /// The last state of each partition in `changes`, in order of first appearance.
    private static func latest(_ changes: [PartitionState]) -> [PartitionState] {
        var last: [TopicPartition: PartitionState] = [:]
        var order: [TopicPartition] = []
        for state in changes {
            if last[state.topicPartition] == nil { order.append(state.topicPartition) }
            last[state.topicPartition] = state
        }
        return order.map { last[$0]! }
    }
}
