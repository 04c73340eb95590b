import KafkaProtocol

/// What an assignor sees: the members with their subscriptions (as topic ids) and their previous
/// target, and the partition count of every subscribed topic.
struct AssignmentSpec: Sendable {
    struct Member: Sendable {
        var memberId: String
        var instanceId: String?
        var topics: Set<KafkaUUID>
        /// The member's target before this computation (what stickiness keeps).
        var previous: TopicPartitionSet
    }

    /// In any order; assignors sort them.
    var members: [Member]
    var partitionCounts: [KafkaUUID: Int32]
}

/// The server-side assignors (`group.consumer.assignors`; a member asks for one with
/// `group.remote.assignor`). Each is a pure function of ``AssignmentSpec`` to one target per
/// member, deterministic for the same input, giving every partition of a subscribed topic to
/// exactly one member subscribed to it.
public enum ServerAssignor: String, Sendable, CaseIterable {
    /// Balanced (counts differ by at most one where the subscriptions allow) and sticky (a
    /// member keeps what it had as far as balance allows), like Kafka's `UniformAssignor`.
    case uniform
    /// Contiguous ranges per topic, members in order (static members by instance id first), like
    /// Kafka's server-side `RangeAssignor`: partition i of co-partitioned topics goes to one member.
    case range

    /// Kafka's class names for the same assignors, accepted in `group.consumer.assignors`.
    static let kafkaClassNames: [String: ServerAssignor] = [
        "org.apache.kafka.coordinator.group.assignor.UniformAssignor": .uniform,
        "org.apache.kafka.coordinator.group.assignor.RangeAssignor": .range,
    ]

    /// An assignor by its name or Kafka's class name.
    public static func named(_ name: String) -> ServerAssignor? {
        ServerAssignor(rawValue: name) ?? kafkaClassNames[name]
    }

    func assign(_ spec: AssignmentSpec) -> [String: TopicPartitionSet] {
        switch self {
        case .uniform:
            var work = UniformAssignment(spec)
            return work.run()
        case .range: return RangeAssignment.run(spec)
        }
    }
}

/// The range assignor's work.
enum RangeAssignment {
    static func run(_ spec: AssignmentSpec) -> [String: TopicPartitionSet] {
        // Static members first by instance id, then dynamic ones by member id.
        let members = spec.members.sorted { a, b in
            switch (a.instanceId, b.instanceId) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.memberId < b.memberId
            }
        }
        var result = Dictionary(uniqueKeysWithValues: members.map { ($0.memberId, TopicPartitionSet()) })
        for topic in spec.partitionCounts.keys.sorted(by: KafkaUUID.ordered) {
            let count = Int(spec.partitionCounts[topic]!)
            let subscribed = members.filter { $0.topics.contains(topic) }
            guard !subscribed.isEmpty, count > 0 else { continue }
            let quota = count / subscribed.count
            let extra = count % subscribed.count
            var next = 0
            for (i, member) in subscribed.enumerated() {
                let size = quota + (i < extra ? 1 : 0)
                for p in next..<(next + size) { result[member.memberId]!.insert(topic, Int32(p)) }
                next += size
            }
        }
        return result
    }
}

/// The uniform assignor's work: keep what is still valid, hand out the rest to the least loaded
/// eligible member, then move partitions from the most to the least loaded members until no
/// move narrows the gap.
struct UniformAssignment {
    let members: [AssignmentSpec.Member]
    let partitionCounts: [KafkaUUID: Int32]
    var assignment: [String: TopicPartitionSet] = [:]
    var counts: [String: Int] = [:]

    init(_ spec: AssignmentSpec) {
        members = spec.members.sorted { $0.memberId < $1.memberId }
        partitionCounts = spec.partitionCounts
    }

    mutating func run() -> [String: TopicPartitionSet] {
        for m in members {
            assignment[m.memberId] = TopicPartitionSet()
            counts[m.memberId] = 0
        }
        guard !members.isEmpty else { return [:] }
        var taken = Set<Pair>()
        // 1. Stickiness, within balance: a member keeps at most its fair share of what it had.
        let total = members.reduce(into: Set<KafkaUUID>()) { $0.formUnion($1.topics) }
            .reduce(0) { $0 + Int(partitionCounts[$1] ?? 0) }
        let ceiling = (total + members.count - 1) / members.count
        for m in members {
            for (topic, p) in m.previous.sortedPairs where m.topics.contains(topic) {
                guard p < partitionCounts[topic] ?? 0, counts[m.memberId]! < ceiling else { continue }
                guard taken.insert(Pair(topic, p)).inserted else { continue }
                give(topic, p, to: m.memberId)
            }
        }
        // 2. The rest, each to the least loaded member subscribed to its topic.
        for topic in partitionCounts.keys.sorted(by: KafkaUUID.ordered) {
            let eligible = members.filter { $0.topics.contains(topic) }.map(\.memberId)
            guard !eligible.isEmpty else { continue }
            for p in 0..<partitionCounts[topic]! where !taken.contains(Pair(topic, p)) {
                let to = eligible.min { (counts[$0]!, $0) < (counts[$1]!, $1) }!
                taken.insert(Pair(topic, p))
                give(topic, p, to: to)
            }
        }
        // 3. Even out what subscriptions allow.
        while moveOne() {}
        return assignment
    }

    private struct Pair: Hashable {
        var topic: KafkaUUID
        var partition: Int32
        init(_ topic: KafkaUUID, _ partition: Int32) {
            self.topic = topic
            self.partition = partition
        }
    }

    private mutating func give(_ topic: KafkaUUID, _ p: Int32, to memberId: String) {
        assignment[memberId]!.insert(topic, p)
        counts[memberId]! += 1
    }

    /// Moves one partition from a member to one holding at least two fewer that subscribes to
    /// its topic; false when there is no such move.
    private mutating func moveOne() -> Bool {
        let byLoad = members.sorted { (counts[$0.memberId]!, $0.memberId) < (counts[$1.memberId]!, $1.memberId) }
        for donor in byLoad.reversed() {
            for receiver in byLoad where counts[donor.memberId]! - counts[receiver.memberId]! >= 2 {
                // The donor's last movable partition (the earliest ones are the stickiest).
                guard let (topic, p) = assignment[donor.memberId]!.sortedPairs.last(where: { receiver.topics.contains($0.0) })
                else { continue }
                assignment[donor.memberId]!.remove(topic, p)
                counts[donor.memberId]! -= 1
                give(topic, p, to: receiver.memberId)
                return true
            }
        }
        return false
    }
}
