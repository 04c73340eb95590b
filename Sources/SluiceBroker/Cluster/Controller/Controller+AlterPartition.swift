import KafkaProtocol

// AlterPartition (56): ISR changes from partition leaders.
extension Controller {
    /// Validates each partition's change against the current registration (leader, leader
    /// epoch, partition epoch, eligible ISR members) and commits the valid ones in one batch.
    /// A change that lets a reassignment's new replicas all be in sync completes it in the
    /// same record.
    func alterPartition(_ request: AlterPartitionRequest, version: Int16, driver: RaftDriver,
                        done: @escaping (AlterPartitionResponse) -> Void) {
        var response = AlterPartitionResponse()
        guard isActive else {
            response.errorCode = ErrorCode.notController.rawValue
            return done(response)
        }
        guard let sender = image.brokers[request.brokerId], request.brokerEpoch < 0 || sender.epoch == request.brokerEpoch else {
            response.errorCode = ErrorCode.staleBrokerEpoch.rawValue
            return done(response)
        }
        var records: [MetadataRecord] = []
        // (topic index, partition index in response) → the change's partition, to fill results after commit.
        var accepted: [(topic: Int, partition: Int, name: String, index: Int32)] = []
        for topicRequest in request.topics {
            let name = version >= 2 ? image.topicNames[topicRequest.topicId] : topicRequest.topicName
            var topicResult = AlterPartitionResponse.TopicData(topicName: topicRequest.topicName, topicId: topicRequest.topicId)
            for partitionRequest in topicRequest.partitions {
                var result = AlterPartitionResponse.PartitionData(partitionIndex: partitionRequest.partitionIndex)
                guard let name, let topic = image.topics[name], partitionRequest.partitionIndex >= 0,
                      Int(partitionRequest.partitionIndex) < topic.partitions.count else {
                    result.errorCode = (version >= 2 ? ErrorCode.unknownTopicId : ErrorCode.unknownTopicOrPartition).rawValue
                    topicResult.partitions.append(result)
                    continue
                }
                let current = topic.partitions[Int(partitionRequest.partitionIndex)]
                let newIsr = version >= 3 ? partitionRequest.newIsrWithEpochs.map(\.brokerId) : partitionRequest.newIsr
                let epochs = version >= 3 ? Dictionary(partitionRequest.newIsrWithEpochs.map { ($0.brokerId, $0.brokerEpoch) },
                                                       uniquingKeysWith: { a, _ in a }) : [:]
                if let error = validate(current, sender: request.brokerId, leaderEpoch: partitionRequest.leaderEpoch,
                                        partitionEpoch: partitionRequest.partitionEpoch, newIsr: newIsr, epochs: epochs) {
                    result.errorCode = error.rawValue
                    topicResult.partitions.append(result)
                    continue
                }
                let change = isrChange(current, newIsr: newIsr)
                records.append(.partitionChange(change))
                accepted.append((response.topics.count, topicResult.partitions.count, name, partitionRequest.partitionIndex))
                topicResult.partitions.append(result)
            }
            response.topics.append(topicResult)
        }
        commit(records, driver: driver) { [self] error in
            for (t, p, name, index) in accepted {
                if let error {
                    response.topics[t].partitions[p].errorCode = error.code.rawValue
                } else if let registration = image.topics[name]?.partitions[Int(index)] {
                    response.topics[t].partitions[p].leaderId = registration.leader
                    response.topics[t].partitions[p].leaderEpoch = registration.leaderEpoch
                    response.topics[t].partitions[p].isr = registration.isr
                    response.topics[t].partitions[p].partitionEpoch = registration.partitionEpoch
                }
            }
            done(response)
        }
    }

    private func validate(_ p: PartitionRegistration, sender: Int32, leaderEpoch: Int32, partitionEpoch: Int32,
                          newIsr: [Int32], epochs: [Int32: Int64]) -> ErrorCode? {
        if leaderEpoch < p.leaderEpoch { return .fencedLeaderEpoch }
        if p.leader != sender || leaderEpoch != p.leaderEpoch { return .notLeaderOrFollower }
        if partitionEpoch != p.partitionEpoch { return .invalidUpdateVersion }
        if newIsr.isEmpty || !newIsr.contains(sender) || Set(newIsr).count != newIsr.count { return .invalidRequest }
        for member in newIsr where !p.isr.contains(member) {
            // Joining members must be live replicas of the current incarnation.
            guard p.replicas.contains(member), let broker = image.brokers[member], broker.isActive else {
                return .ineligibleReplica
            }
            if let epoch = epochs[member], epoch >= 0, epoch != broker.epoch { return .ineligibleReplica }
        }
        for member in newIsr where !p.replicas.contains(member) { return .ineligibleReplica }
        return nil
    }

    /// The ISR change, completing a reassignment whose adding replicas are now all in sync.
    func isrChange(_ p: PartitionRegistration, newIsr: [Int32]) -> PartitionChange {
        var change = PartitionChange(topicId: p.topicId, partition: p.partition, isr: newIsr)
        if p.isReassigning && p.addingReplicas.allSatisfy(newIsr.contains) {
            change = completion(of: p, isr: newIsr)
        }
        return change
    }

    /// The change that finishes a reassignment: the target replicas only, the ISR narrowed to
    /// them, and a new leader if the old one is being removed.
    func completion(of p: PartitionRegistration, isr: [Int32]) -> PartitionChange {
        let target = p.targetReplicas
        let narrowed = isr.filter(target.contains)
        var change = PartitionChange(topicId: p.topicId, partition: p.partition, isr: narrowed.isEmpty ? isr : narrowed,
                                     replicas: target, addingReplicas: [], removingReplicas: [])
        if !target.contains(p.leader) {
            var shaped = p
            shaped.replicas = target
            change.leader = PartitionElection.cleanLeader(shaped, isr: narrowed, image: image) ?? -1
        }
        return change
    }
}
