import KafkaProtocol
import SluiceBase
import SluiceStorage

/// Compares two images from one broker's point of view: which partitions it must now lead,
/// follow or stop (see ``LocalPartitionChange``).
enum LocalPartitionDeltaBuilder {
    static func changes(from previous: MetadataImage, to image: MetadataImage, broker: Int32,
                        logDefaults: LogConfig) -> [LocalPartitionChange] {
        var changes: [LocalPartitionChange] = []
        for topic in image.topics.values {
            // A topic re-created under the same name is a different topic: compare by id.
            let before = previous.topics[topic.name].flatMap { $0.id == topic.id ? $0 : nil }
            let configChanged = before.map { $0.configs != topic.configs } ?? false
            let config = (try? LogConfig(overrides: topic.configs, defaults: logDefaults)) ?? logDefaults
            for p in topic.partitions where p.isReplica(broker) {
                let old = before.flatMap { Int(p.partition) < $0.partitions.count ? $0.partitions[Int(p.partition)] : nil }
                let wasReplica = old?.isReplica(broker) ?? false
                guard !wasReplica || old != p || configChanged else { continue }
                let local = LocalPartition(topicName: topic.name, registration: p, config: config)
                if p.leader == broker {
                    let isNew = !wasReplica || old!.leader != broker || old!.leaderEpoch != p.leaderEpoch
                    changes.append(.becomeLeader(local, isNewLeader: isNew))
                } else {
                    let isNew = !wasReplica || old!.leader != p.leader || old!.leaderEpoch != p.leaderEpoch
                    changes.append(.becomeFollower(local, isNewLeaderEpoch: isNew))
                }
            }
        }
        for topic in previous.topics.values {
            let after = image.topics[topic.name].flatMap { $0.id == topic.id ? $0 : nil }
            for p in topic.partitions where p.isReplica(broker) {
                let stillReplica = after.flatMap { Int(p.partition) < $0.partitions.count ? $0.partitions[Int(p.partition)] : nil }?
                    .isReplica(broker) ?? false
                if !stillReplica {
                    changes.append(.stopReplica(TopicPartition(topic.name, p.partition), topicId: topic.id, deleteLog: true))
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
