/// A partition of a topic: the unit of storage, replication and leadership, and the key the
/// client, the console and the broker index partitions by.
///
/// ```swift
/// let tp = TopicPartition("orders", 3)
/// print(tp)   // orders-3
/// ```
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// `topic-partition`, as Kafka names partition directories and prints partitions.
    public var description: String { "\(topic)-\(partition)" }

    /// By topic name, then partition number.
    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}
