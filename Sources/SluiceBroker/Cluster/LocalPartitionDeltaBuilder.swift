import KafkaProtocol
import SluiceBase
import SluiceStorage

/// Compares two images from one broker's point of view: which partitions it must now lead,
/// follow or stop (see ``LocalPartitionChange``).
enum LocalPartitionDeltaBuilder {
    /// Every difference between the images (a listener's first view, a snapshot).
    static func changes(from previous: MetadataImage, to image: MetadataImage, broker: Int32,
                        logDefaults: LogConfig) -> [LocalPartitionChange] {
        changes(from: previous, to: image, delta: .full, broker: broker, logDefaults: logDefaults)
    }

    /// The differences among what `delta` names — in time proportional to the delta, not to the
    /// image (Kafka's `ReplicaManager.applyDelta` works from the `TopicsDelta` the same way). A
    /// full delta compares every topic of both images.
    static func changes(from previous: MetadataImage, to image: MetadataImage, delta: MetadataDelta, broker: Int32,
                        logDefaults: LogConfig) -> [LocalPartitionChange] {
        var changes: [LocalPartitionChange] = []
        // Topics are compared by id: one re-created under the same name is a different topic.
        let touched: Set<KafkaUUID> = delta.isFull
            ? Set(image.topicNames.keys).union(previous.topicNames.keys)
            : Set(delta.partitions.keys).union(delta.configs).union(delta.removedTopics)
        for id in touched {
            let before = previous.topic(id: id)
            guard let topic = image.topic(id: id) else {
                // Removed: every local replica it had stops.
                for p in before?.partitions ?? [] where p.isReplica(broker) {
                    changes.append(.stopReplica(TopicPartition(before!.name, p.partition), topicId: id, deleteLog: true))
                }
                continue
            }
            let configChanged = before.map { $0.configs != topic.configs } ?? false
            // A config change concerns every partition (their logs take the new config).
            let indexes: [Int32] = delta.isFull || configChanged
                ? Array(0..<Int32(max(topic.partitions.count, before?.partitions.count ?? 0)))
                : Array(delta.partitions[id] ?? [])
            var config: LogConfig?
            for index in indexes {
                let old = before.flatMap { Int(index) < $0.partitions.count ? $0.partitions[Int(index)] : nil }
                let new = Int(index) < topic.partitions.count ? topic.partitions[Int(index)] : nil
                let wasReplica = old?.isReplica(broker) ?? false
                guard let new, new.isReplica(broker) else {
                    if wasReplica { changes.append(.stopReplica(TopicPartition(topic.name, index), topicId: id, deleteLog: true)) }
                    continue
                }
                guard !wasReplica || old != new || configChanged else { continue }
                if config == nil { config = (try? LogConfig(overrides: topic.configs, defaults: logDefaults)) ?? logDefaults }
                let local = LocalPartition(topicName: topic.name, registration: new, config: config!)
                if new.leader == broker {
                    let isNew = !wasReplica || old!.leader != broker || old!.leaderEpoch != new.leaderEpoch
                    changes.append(.becomeLeader(local, isNewLeader: isNew))
                } else {
                    let isNew = !wasReplica || old!.leader != new.leader || old!.leaderEpoch != new.leaderEpoch
                    changes.append(.becomeFollower(local, isNewLeaderEpoch: isNew))
                }
            }
        }
        // Stops first (a topic deleted and re-created under its name frees the directory).
        return changes.sorted { a, b in
            let aStop = { if case .stopReplica = a { return true }; return false }()
            let bStop = { if case .stopReplica = b { return true }; return false }()
            if aStop != bStop { return aStop }
            return a.topicPartition < b.topicPartition
        }
    }
}
