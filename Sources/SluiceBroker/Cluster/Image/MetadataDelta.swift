import KafkaProtocol

/// What replaying some metadata records changed, named precisely enough that a listener can bring
/// itself up to date in time proportional to the change rather than to the whole image (Kafka's
/// `MetadataDelta`, reduced to what Sluice's listeners ask). A broker holding 10,000 partitions
/// that sees one ISR change looks at one partition.
///
/// Built by ``note(_:in:)`` *before* each record is applied (a removed topic is still in the
/// image then); deltas of consecutive batches combine with ``merge(_:)``.
public struct MetadataDelta: Sendable, Equatable {
    /// Everything may have changed (a snapshot replaced the image, or a listener's first view):
    /// compare whole images.
    public var isFull = false
    /// Partitions created or changed, by topic id.
    public var partitions: [KafkaUUID: Set<Int32>] = [:]
    /// Topics whose config overrides changed, by id.
    public var configs: Set<KafkaUUID> = []
    /// Topics removed, by id.
    public var removedTopics: Set<KafkaUUID> = []
    /// A broker registered, left, was fenced or unfenced, or started a controlled shutdown.
    public var brokersChanged = false
    /// Dynamic broker configs changed (cluster-wide defaults or a broker's own): the log defaults
    /// of every topic without overrides may have changed with them.
    public var brokerConfigsChanged = false

    public init() {}

    /// A delta that covers everything.
    public static var full: MetadataDelta {
        var delta = MetadataDelta()
        delta.isFull = true
        return delta
    }

    public var isEmpty: Bool {
        !isFull && partitions.isEmpty && configs.isEmpty && removedTopics.isEmpty && !brokersChanged
            && !brokerConfigsChanged
    }

    /// Records what `record` is about to change in `image`.
    public mutating func note(_ record: MetadataRecord, in image: MetadataImage) {
        switch record {
        case .partition(let p):
            partitions[p.topicId, default: []].insert(p.partition)
        case .partitionChange(let change):
            partitions[change.topicId, default: []].insert(change.partition)
        case .removeTopic(let id):
            removedTopics.insert(id)
        case .config(2, let name, _, _):
            if let id = image.topics[name]?.id { configs.insert(id) }
        case .config(4, _, _, _):
            brokerConfigsChanged = true
        case .registerBroker, .unregisterBroker, .fenceBroker, .unfenceBroker, .brokerShutdownChange:
            brokersChanged = true
        case .topic, .config, .clusterId, .producerIds, .userScramCredential, .removeUserScramCredential,
             .accessControlEntry, .removeAccessControlEntry, .clientQuota,
             .beginTransaction, .endTransaction, .abortTransaction:
            // A topic's partitions follow as records of their own; the rest concerns no partition.
            break
        }
    }

    /// Adds the changes of a later delta.
    public mutating func merge(_ later: MetadataDelta) {
        isFull = isFull || later.isFull
        for (id, indexes) in later.partitions { partitions[id, default: []].formUnion(indexes) }
        configs.formUnion(later.configs)
        brokerConfigsChanged = brokerConfigsChanged || later.brokerConfigsChanged
        removedTopics.formUnion(later.removedTopics)
        brokersChanged = brokersChanged || later.brokersChanged
    }
}
