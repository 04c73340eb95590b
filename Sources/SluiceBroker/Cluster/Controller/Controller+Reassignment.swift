import KafkaProtocol

// AlterPartitionReassignments (45) and ListPartitionReassignments (46).
//
// A reassignment to target replicas T of a partition with replicas R writes replicas T ∪ R
// (T first), adding = T − R, removing = R − T. The new replicas fetch from the leader as
// followers; when the leader's AlterPartition brings all of them into the ISR, the controller
// completes it (replicas = T, ISR ∩ T, a new leader from T if the old one is removed), and the
// removed brokers get `stopReplica`. A reassignment that only removes replicas completes at once.
extension Controller {
    /// Starts (target non-nil) or cancels (nil) a partition's reassignment.
    func reassign(topic name: String, partition index: Int32, target: [Int32]?, driver: RaftDriver,
                  done: @escaping (ApiError?) -> Void) {
        guard isActive else { return done(Self.notController(driver)) }
        guard let topic = image.topics[name], index >= 0, Int(index) < topic.partitions.count else {
            return done(ApiError(.unknownTopicOrPartition, "Unable to find partition \(name)-\(index)."))
        }
        let p = topic.partitions[Int(index)]
        guard let target else {
            guard p.isReassigning else {
                return done(ApiError(.noReassignmentInProgress, "No ongoing reassignment for partition \(name)-\(index)."))
            }
            let original = p.replicas.filter { !p.addingReplicas.contains($0) }
            var change = PartitionChange(topicId: p.topicId, partition: index, isr: p.isr.filter(original.contains),
                                         replicas: original, addingReplicas: [], removingReplicas: [])
            if change.isr?.isEmpty == true { change.isr = [original[0]] }
            if !original.contains(p.leader) {
                var shaped = p
                shaped.replicas = original
                change.leader = PartitionElection.cleanLeader(shaped, isr: change.isr ?? [], image: image) ?? -1
            }
            return commit([.partitionChange(change)], driver: driver, done: done)
        }
        do {
            try validateAssignment(target)
        } catch let error as ApiError {
            return done(ApiError(.invalidReplicaAssignment, error.message))
        } catch {
            return done(ApiError(.invalidReplicaAssignment, "\(error)"))
        }
        // A new target replaces an ongoing reassignment: start from the original replicas.
        let current = p.replicas.filter { !p.addingReplicas.contains($0) }
        if target == current && !p.isReassigning { return done(nil) }
        let adding = target.filter { !current.contains($0) }
        let removing = current.filter { !target.contains($0) }
        var shaped = p
        shaped.replicas = target + removing
        shaped.addingReplicas = adding
        shaped.removingReplicas = removing
        let change: PartitionChange
        if adding.isEmpty || adding.allSatisfy(p.isr.contains) {
            change = completion(of: shaped, isr: p.isr)
        } else {
            change = PartitionChange(topicId: p.topicId, partition: index, isr: p.isr.filter(shaped.replicas.contains),
                                     replicas: shaped.replicas, addingReplicas: adding, removingReplicas: removing)
        }
        logger.info("reassigning \(name)-\(index) from \(p.replicas) to \(target)")
        commit([.partitionChange(change)], driver: driver, done: done)
    }

    /// Ongoing reassignments (all, or of the given partitions).
    func listReassignments(_ topics: [(name: String, partitions: [Int32])]?) -> ListPartitionReassignmentsResponse {
        var response = ListPartitionReassignmentsResponse()
        let wanted: [(TopicImage, [Int32]?)] = topics.map { list in
            list.compactMap { entry in image.topics[entry.name].map { ($0, entry.partitions) } }
        } ?? image.topics.values.sorted { $0.name < $1.name }.map { ($0, nil) }
        for (topic, indexes) in wanted {
            let ongoing = topic.partitions.filter { p in p.isReassigning && (indexes?.contains(p.partition) ?? true) }
            guard !ongoing.isEmpty else { continue }
            response.topics.append(.init(name: topic.name, partitions: ongoing.map {
                .init(partitionIndex: $0.partition, replicas: $0.replicas, addingReplicas: $0.addingReplicas,
                      removingReplicas: $0.removingReplicas)
            }))
        }
        return response
    }
}
