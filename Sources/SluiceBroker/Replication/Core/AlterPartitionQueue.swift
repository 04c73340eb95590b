import KafkaProtocol
import SluiceBase

/// ISR changes on their way to the controller (Kafka's `AlterPartitionManager`): one
/// AlterPartition request in flight per broker, the changes proposed meanwhile wait for the next
/// one, a newer proposal for a partition replaces a waiting older one, and a request that
/// fails as a whole is sent again after a pause.
struct AlterPartitionQueue: Sendable {
    struct Item: Sendable, Equatable {
        var topicPartition: TopicPartition
        var topicId: KafkaUUID
        var proposal: IsrProposal
        /// The broker epochs of the proposed ISR members (-1 when unknown), for AlterPartition v3.
        var brokerEpochs: [Int32: Int64] = [:]
    }

    private(set) var waiting: [TopicPartition: Item] = [:]
    private(set) var inFlight: (id: UInt64, items: [Item])?
    private(set) var retryAt: Int64 = 0
    private var nextId: UInt64 = 1

    mutating func enqueue(_ item: Item) {
        waiting[item.topicPartition] = item
    }

    /// Drops what waits for `tp` (it is no longer led here).
    mutating func forget(_ tp: TopicPartition) {
        waiting[tp] = nil
    }

    /// The next request's items, when none is in flight and the pause is over.
    mutating func next(now: Int64) -> (id: UInt64, items: [Item])? {
        guard inFlight == nil, now >= retryAt, !waiting.isEmpty else { return nil }
        let items = waiting.values.sorted { $0.topicPartition < $1.topicPartition }
        waiting = [:]
        let batch = (id: nextId, items: items)
        nextId += 1
        inFlight = batch
        return batch
    }

    /// The request `id` was answered: its items, to apply each partition's result.
    mutating func answered(_ id: UInt64) -> [Item]? {
        guard let batch = inFlight, batch.id == id else { return nil }
        inFlight = nil
        return batch.items
    }

    /// The request `id` failed as a whole (no controller, connection lost): its items go back,
    /// unless a newer proposal for the partition is waiting.
    mutating func failed(_ id: UInt64, now: Int64, retryMs: Int64) {
        guard let batch = inFlight, batch.id == id else { return }
        inFlight = nil
        for item in batch.items where waiting[item.topicPartition] == nil {
            waiting[item.topicPartition] = item
        }
        retryAt = now + retryMs
    }

    /// Puts one item back for a later request (its partition failed with a retriable error).
    mutating func retry(_ item: Item, now: Int64, retryMs: Int64) {
        if waiting[item.topicPartition] == nil { waiting[item.topicPartition] = item }
        retryAt = max(retryAt, now + retryMs)
    }

    /// The request for `items`, valid at every version (v0-1 name topics, v2+ use ids, v3 carries
    /// broker epochs).
    static func request(_ items: [Item], brokerId: Int32, brokerEpoch: Int64) -> AlterPartitionRequest {
        var request = AlterPartitionRequest()
        request.brokerId = brokerId
        request.brokerEpoch = brokerEpoch
        var byTopic: [String: Int] = [:]
        for item in items {
            var data = AlterPartitionRequest.PartitionData()
            data.partitionIndex = item.topicPartition.partition
            data.leaderEpoch = item.proposal.leaderEpoch
            data.partitionEpoch = item.proposal.partitionEpoch
            data.newIsr = item.proposal.isr
            data.newIsrWithEpochs = item.proposal.isr.map { .init(brokerId: $0, brokerEpoch: item.brokerEpochs[$0] ?? -1) }
            if let index = byTopic[item.topicPartition.topic] {
                request.topics[index].partitions.append(data)
            } else {
                byTopic[item.topicPartition.topic] = request.topics.count
                request.topics.append(.init(topicName: item.topicPartition.topic, topicId: item.topicId, partitions: [data]))
            }
        }
        return request
    }

    /// Each item's result in `response` (a top-level error applies to all; a partition the
    /// answer does not mention gets UNKNOWN_SERVER_ERROR, which is retried).
    static func results(_ response: AlterPartitionResponse, for items: [Item], version: Int16)
        -> [(item: Item, result: AlterPartitionResult)] {
        if response.errorCode != 0 {
            return items.map { ($0, .refused(ErrorCode(response.errorCode))) }
        }
        var found: [TopicPartition: AlterPartitionResult] = [:]
        var idToName: [KafkaUUID: String] = [:]
        for item in items { idToName[item.topicId] = item.topicPartition.topic }
        for topic in response.topics {
            let name = version >= 2 ? (idToName[topic.topicId] ?? topic.topicName) : topic.topicName
            for p in topic.partitions {
                let tp = TopicPartition(name, p.partitionIndex)
                if p.errorCode != 0 {
                    found[tp] = .refused(ErrorCode(p.errorCode))
                } else {
                    found[tp] = .committed(leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, isr: p.isr,
                                           partitionEpoch: p.partitionEpoch)
                }
            }
        }
        return items.map { ($0, found[$0.topicPartition] ?? .refused(.unknownServerError)) }
    }
}
