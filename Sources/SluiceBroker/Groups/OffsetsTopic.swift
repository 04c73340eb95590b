/// The internal topic `__consumer_offsets`: where a group's committed offsets and metadata live,
/// and which partition (hence which coordinator) a group belongs to.
public enum OffsetsTopic {
    public static let name = "__consumer_offsets"

    /// The offsets partition of `groupId`: `Utils.abs(groupId.hashCode()) % partitionCount`, with
    /// Java's `String.hashCode` and Kafka's `Utils.abs` (which maps `Int.MIN_VALUE` to 0; it is
    /// not `& 0x7fffffff`, which would give other partitions for negative hashes).
    public static func partition(for groupId: String, partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0, "the offsets topic has at least one partition")
        return kafkaAbs(javaStringHashCode(groupId)) % partitionCount
    }

    /// Java's `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, with
    /// 32-bit wrap-around.
    public static func javaStringHashCode(_ s: String) -> Int32 {
        var hash: Int32 = 0
        for unit in s.utf16 {
            hash = hash &* 31 &+ Int32(unit)
        }
        return hash
    }

    /// Kafka's `Utils.abs`: the absolute value, except that `Int32.min` gives 0.
    static func kafkaAbs(_ n: Int32) -> Int32 {
        n == Int32.min ? 0 : abs(n)
    }

    /// The topic configs Kafka creates the topic with: compacted, 100 MiB segments, and the
    /// producer's compression kept (`offsets.topic.segment.bytes` sets the segment size).
    public static func topicConfigs(segmentBytes: Int32) -> [String: String] {
        [
            "cleanup.policy": "compact",
            "segment.bytes": String(segmentBytes),
            "compression.type": "producer",
        ]
    }
}
