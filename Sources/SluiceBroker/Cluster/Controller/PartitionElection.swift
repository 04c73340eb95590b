import KafkaProtocol

/// The partition changes the controller makes when brokers come and go: leaders are elected
/// from the ISR (preferred order first), never from outside it unless unclean election is on.
enum PartitionElection {
    /// The first replica, in assignment order, that is in the ISR and may lead.
    static func cleanLeader(_ p: PartitionRegistration, isr: [Int32], image: MetadataImage, excluding: Set<Int32> = []) -> Int32? {
        p.replicas.first { id in
            isr.contains(id) && !excluding.contains(id) && image.brokers[id]?.isActive == true
        }
    }

    /// The first live replica at all (unclean: may lose committed records).
    static func uncleanLeader(_ p: PartitionRegistration, image: MetadataImage, excluding: Set<Int32>) -> Int32? {
        p.replicas.first { !excluding.contains($0) && image.brokers[$0]?.isActive == true }
    }

    /// Takes `broker` out of a partition (fenced, shutting down or gone): out of the ISR unless
    /// it is the last member (Kafka keeps the last one, so that it can come back as the clean
    /// leader), and a new leader if it led. nil when nothing changes.
    ///
    /// `gracefully` (a controlled shutdown) moves only what can move: a partition with no other
    /// in-sync replica to lead keeps its leader and ISR, as Kafka does, rather than going offline
    /// before the broker has even stopped.
    static func removing(_ broker: Int32, from p: PartitionRegistration, image: MetadataImage,
                         unclean: Bool, gracefully: Bool = false) -> PartitionChange? {
        guard p.isReplica(broker) else { return nil }
        if gracefully && p.leader == broker && cleanLeader(p, isr: p.isr, image: image, excluding: [broker]) == nil {
            return nil
        }
        let remaining = p.isr.filter { $0 != broker }
        var change = PartitionChange(topicId: p.topicId, partition: p.partition)
        let isr = remaining.isEmpty ? p.isr : remaining
        if isr != p.isr { change.isr = isr }
        if p.leader == broker {
            if let leader = cleanLeader(p, isr: isr, image: image, excluding: [broker]) {
                change.leader = leader
            } else if unclean, let leader = uncleanLeader(p, image: image, excluding: [broker]) {
                change.leader = leader
                change.isr = [leader]
            } else {
                change.leader = -1
            }
        }
        return change.isEmpty ? nil : change
    }

    /// A leaderless partition gets a leader again once an ISR member is back (or, unclean, any
    /// replica).
    static func electOffline(_ p: PartitionRegistration, image: MetadataImage, unclean: Bool) -> PartitionChange? {
        guard p.leader < 0 else { return nil }
        if let leader = cleanLeader(p, isr: p.isr, image: image) {
            return PartitionChange(topicId: p.topicId, partition: p.partition, leader: leader)
        }
        if unclean, let leader = uncleanLeader(p, image: image, excluding: []) {
            return PartitionChange(topicId: p.topicId, partition: p.partition, leader: leader, isr: [leader])
        }
        return nil
    }

    /// Moves leadership to the preferred replica when it is live and in sync.
    static func preferred(_ p: PartitionRegistration, image: MetadataImage) -> PartitionChange? {
        let preferred = p.preferredLeader
        guard p.leader != preferred, p.isr.contains(preferred), image.brokers[preferred]?.isActive == true else { return nil }
        return PartitionChange(topicId: p.topicId, partition: p.partition, leader: preferred)
    }

    /// Whether a topic allows unclean election (its override, else the cluster default).
    static func uncleanAllowed(_ topic: TopicImage, default value: Bool) -> Bool {
        topic.configs["unclean.leader.election.enable"].map { $0.lowercased() == "true" } ?? value
    }
}
