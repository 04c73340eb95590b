import KafkaProtocol

extension MetadataImage {
    /// Applies one committed record. The log is the authority, so a record that does not fit the
    /// image (a change to an unknown partition) is skipped and reported, never a crash: the
    /// returned string says why, for the log.
    @discardableResult
    public mutating func apply(_ record: MetadataRecord) -> String? {
        switch record {
        case .clusterId(let id):
            if clusterId == nil { clusterId = id }
        case .registerBroker(let broker):
            brokers[broker.id] = broker
        case .unregisterBroker(let id, _):
            brokers[id] = nil
        case .fenceBroker(let id, let epoch):
            guard brokers[id]?.epoch == epoch else { return "fence of broker \(id) epoch \(epoch): not registered at that epoch" }
            brokers[id]!.fenced = true
        case .unfenceBroker(let id, let epoch):
            guard brokers[id]?.epoch == epoch else { return "unfence of broker \(id) epoch \(epoch): not registered at that epoch" }
            brokers[id]!.fenced = false
        case .brokerShutdownChange(let id, let epoch, let flag):
            guard brokers[id]?.epoch == epoch else { return "shutdown change of broker \(id): not registered at epoch \(epoch)" }
            brokers[id]!.inControlledShutdown = flag
        case .topic(let name, let id):
            guard topics[name] == nil else { return "topic \(name) exists already" }
            topics[name] = TopicImage(name: name, id: id)
            topicNames[id] = name
        case .partition(let registration):
            guard let name = topicNames[registration.topicId], let count = topics[name]?.partitions.count else {
                return "partition of unknown topic \(registration.topicId)"
            }
            let index = Int(registration.partition)
            // Mutated in place (no local copy of the array): a topic of N partitions replays in
            // O(N), not O(N²).
            if index == count {
                topics[name]!.partitions.append(registration)
            } else if index >= 0 && index < count {
                topics[name]!.partitions[index] = registration
            } else {
                return "partition \(index) of \(name) is not the next one (\(count))"
            }
        case .partitionChange(let change):
            guard let name = topicNames[change.topicId], let count = topics[name]?.partitions.count,
                  change.partition >= 0, Int(change.partition) < count else {
                return "change of unknown partition \(change.topicId)-\(change.partition)"
            }
            var p = topics[name]!.partitions[Int(change.partition)]
            if let leader = change.leader {
                p.leader = leader
                p.leaderEpoch += 1
            }
            if let isr = change.isr { p.isr = isr }
            if let replicas = change.replicas { p.replicas = replicas }
            if let adding = change.addingReplicas { p.addingReplicas = adding }
            if let removing = change.removingReplicas { p.removingReplicas = removing }
            p.partitionEpoch += 1
            topics[name]!.partitions[Int(change.partition)] = p
        case .removeTopic(let id):
            guard let name = topicNames.removeValue(forKey: id) else { return "removal of unknown topic \(id)" }
            topics[name] = nil
        case .config(let type, let resource, let name, let value):
            switch type {
            case 2:
                guard topics[resource] != nil else { return "config of unknown topic \(resource)" }
                topics[resource]!.configs[name] = value
            case 4 where resource.isEmpty:
                brokerDefaults[name] = value
            case 4 where Int32(resource) != nil:
                let id = Int32(resource)!
                brokerConfigs[id, default: [:]][name] = value
                if brokerConfigs[id]?.isEmpty == true { brokerConfigs[id] = nil }
            default:
                return "config of unsupported resource \(type)/\(resource)"
            }
        case .producerIds(_, _, let next):
            nextProducerIdBlock = max(nextProducerIdBlock, next)
        case let .userScramCredential(name, mechanism, credential):
            scramCredentials[name, default: [:]][mechanism] = credential
        case let .removeUserScramCredential(name, mechanism):
            guard scramCredentials[name]?.removeValue(forKey: mechanism) != nil else {
                return "removal of unknown SCRAM credential \(name) \(mechanism.rawValue)"
            }
            if scramCredentials[name]?.isEmpty == true { scramCredentials[name] = nil }
        case let .accessControlEntry(id, binding):
            guard addAcl(id: id, binding) else { return "ACL \(id) exists already" }
        case .removeAccessControlEntry(let id):
            guard removeAcl(id: id) else { return "removal of unknown ACL \(id)" }
        case let .clientQuota(entity, key, value):
            clientQuotas.apply(entity, key: key, value: value)
        case .beginTransaction, .endTransaction, .abortTransaction:
            // Framing: which records take effect together is the loader's business
            // (``MetadataLoader``); the records themselves change nothing.
            break
        }
        return nil
    }

    /// The records that rebuild this image from nothing (the content of a snapshot).
    public var snapshotRecords: [MetadataRecord] {
        var records: [MetadataRecord] = []
        if let clusterId { records.append(.clusterId(clusterId)) }
        for broker in brokers.values.sorted(by: { $0.id < $1.id }) { records.append(.registerBroker(broker)) }
        for topic in topics.values.sorted(by: { $0.name < $1.name }) {
            records.append(.topic(name: topic.name, id: topic.id))
            for partition in topic.partitions { records.append(.partition(partition)) }
            for (name, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                records.append(.config(resourceType: 2, resourceName: topic.name, name: name, value: value))
            }
        }
        for (name, value) in brokerDefaults.sorted(by: { $0.key < $1.key }) {
            records.append(.config(resourceType: 4, resourceName: "", name: name, value: value))
        }
        for (id, configs) in brokerConfigs.sorted(by: { $0.key < $1.key }) {
            for (name, value) in configs.sorted(by: { $0.key < $1.key }) {
                records.append(.config(resourceType: 4, resourceName: String(id), name: name, value: value))
            }
        }
        for (name, credentials) in scramCredentials.sorted(by: { $0.key < $1.key }) {
            for (mechanism, credential) in credentials.sorted(by: { $0.key < $1.key }) {
                records.append(.userScramCredential(name: name, mechanism: mechanism, credential: credential))
            }
        }
        for (id, binding) in aclsById.sorted(by: { $0.value < $1.value }) {
            records.append(.accessControlEntry(id: id, binding: binding))
        }
        records += clientQuotas.records
        if nextProducerIdBlock > 0 {
            records.append(.producerIds(brokerId: -1, brokerEpoch: -1, nextProducerId: nextProducerIdBlock))
        }
        return records
    }

    /// An image rebuilt from a snapshot's records, positioned at `offset`.
    public static func fromSnapshot(_ records: [MetadataRecord], offset: Int64) -> MetadataImage {
        var image = MetadataImage()
        for record in records { image.apply(record) }
        image.offset = offset
        return image
    }
}
