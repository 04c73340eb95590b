import Foundation
import Logging

/// A data directory from before the metadata quorum keeps its metadata in
/// `sluice-metadata.json` (``FileMetadataStore``). The first controller of a *single-voter*
/// quorum on that directory imports it — same cluster id, topic ids, partitions on this node,
/// configs and producer-id watermark — and renames the file to `sluice-metadata.json.imported`.
/// In a multi-voter quorum it refuses, saying why, rather than guessing which node's file wins.
enum LegacyMetadataImport {
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// The records recreating the legacy metadata, or nil when there is no legacy file.
    static func records(settings: ControllerSettings, nodeID: Int32, logger: Logger) throws -> [MetadataRecord]? {
        let store = FileMetadataStore(directory: settings.dataDirectory)
        guard let legacy = try store.load() else { return nil }
        guard settings.isSingleVoter else {
            throw Refused(description: """
                \(store.path) holds single-node metadata from before the metadata quorum; it can only be \
                imported by a single-node quorum (no controller.quorum.voters). Start this data directory \
                as a single node first, or move the file away to start an empty cluster.
                """)
        }
        var records: [MetadataRecord] = [.clusterId(legacy.clusterId)]
        for topic in legacy.topics.values.sorted(by: { $0.name < $1.name }) {
            records.append(.topic(name: topic.name, id: topic.id))
            for (index, partition) in topic.partitions.enumerated() {
                records.append(.partition(PartitionRegistration(
                    topicId: topic.id, partition: Int32(index), replicas: [nodeID], isr: [nodeID], leader: nodeID,
                    leaderEpoch: partition.leaderEpoch)))
            }
            for (name, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                records.append(.config(resourceType: 2, resourceName: topic.name, name: name, value: value))
            }
        }
        if legacy.producerIdBlockEnd > 0 {
            records.append(.producerIds(brokerId: nodeID, brokerEpoch: -1, nextProducerId: legacy.producerIdBlockEnd))
        }
        logger.info("importing \(legacy.topics.count) topic(s) of cluster \(legacy.clusterId) from \(store.path)")
        return records
    }

    static func markImported(settings: ControllerSettings, logger: Logger) {
        let store = FileMetadataStore(directory: settings.dataDirectory)
        guard FileManager.default.fileExists(atPath: store.path) else { return }
        do {
            try FileManager.default.moveItem(atPath: store.path, toPath: store.path + ".imported")
        } catch {
            logger.error("renaming \(store.path) after its import failed: \(error)")
        }
    }
}
