import SluiceBase

/// A group member's subscription, as the group leader sees it.
public struct MemberSubscription: Sendable, Hashable {
    public var memberId: String
    public var topics: Set<String>

    public init(memberId: String, topics: Set<String>) {
        self.memberId = memberId
        self.topics = topics
    }
}

/// The classic partition assignors, computed by the group leader. Both match Kafka's Java
/// `RangeAssignor` and `RoundRobinAssignor` for members without static ids, so a mixed group
/// (Java, librdkafka, Swift members) gets the same assignment whoever leads.
public enum Assignors {
    /// Per topic: the members subscribed to it, sorted by member id, each get a contiguous range;
    /// the first `partitions % members` members get one extra partition.
    public static func range(members: [MemberSubscription], partitionCounts: [String: Int]) -> [String: [TopicPartition]] {
        var result = Dictionary(uniqueKeysWithValues: members.map { ($0.memberId, [TopicPartition]()) })
        let topics = Set(members.flatMap(\.topics)).sorted()
        for topic in topics {
            guard let count = partitionCounts[topic], count > 0 else { continue }
            let consumers = members.filter { $0.topics.contains(topic) }.map(\.memberId).sorted()
            guard !consumers.isEmpty else { continue }
            let per = count / consumers.count
            let extra = count % consumers.count
            for (i, member) in consumers.enumerated() {
                let start = per * i + min(i, extra)
                let length = per + (i < extra ? 1 : 0)
                for p in start..<(start + length) { result[member]!.append(TopicPartition(topic, Int32(p))) }
            }
        }
        return result
    }

    /// All partitions of all subscribed topics, sorted by topic and partition, dealt in turn to
    /// the members sorted by id, skipping members not subscribed to a partition's topic.
    public static func roundRobin(members: [MemberSubscription], partitionCounts: [String: Int]) -> [String: [TopicPartition]] {
        var result = Dictionary(uniqueKeysWithValues: members.map { ($0.memberId, [TopicPartition]()) })
        let sorted = members.sorted { $0.memberId < $1.memberId }
        guard !sorted.isEmpty else { return result }
        let topics = Set(members.flatMap(\.topics)).sorted()
        var next = 0
        for topic in topics {
            guard let count = partitionCounts[topic], count > 0 else { continue }
            for p in 0..<count {
                // Advance round the circle to the next member subscribed to this topic.
                for _ in 0..<sorted.count {
                    let member = sorted[next % sorted.count]
                    next += 1
                    if member.topics.contains(topic) {
                        result[member.memberId]!.append(TopicPartition(topic, Int32(p)))
                        break
                    }
                }
            }
        }
        return result
    }

    public static func assign(_ strategy: AssignmentStrategy, members: [MemberSubscription],
                              partitionCounts: [String: Int]) -> [String: [TopicPartition]] {
        switch strategy {
        case .range: return range(members: members, partitionCounts: partitionCounts)
        case .roundRobin: return roundRobin(members: members, partitionCounts: partitionCounts)
        }
    }
}
