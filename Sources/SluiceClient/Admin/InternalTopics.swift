/// Kafka's internal topics, which tools must not delete: `__consumer_offsets` (the consumer
/// groups' committed offsets), `__transaction_state` (the transactions) and `__cluster_metadata`
/// (KRaft's metadata log). Sluice's controller refuses DeleteTopics on them; the CLI and the
/// console refuse before asking, so they also protect clusters that would not refuse (Apache
/// Kafka 3.9 deletes `__consumer_offsets` when asked, unless ACLs forbid it).
public enum InternalTopics {
    public static let names: [String] = ["__consumer_offsets", "__transaction_state", "__cluster_metadata"]

    public static func isInternal(_ name: String) -> Bool { names.contains(name) }

    /// Why `name` must not be deleted, as a sentence; nil for an ordinary topic.
    ///
    ///     InternalTopics.deletionRefusal("__consumer_offsets")
    ///     // "__consumer_offsets is a Kafka internal topic and cannot be deleted: it holds the consumer groups' committed offsets"
    public static func deletionRefusal(_ name: String) -> String? {
        let what: String
        switch name {
        case "__consumer_offsets": what = "it holds the consumer groups' committed offsets"
        case "__transaction_state": what = "it holds the state of every transaction"
        case "__cluster_metadata": what = "it is the cluster's metadata log"
        default: return nil
        }
        return "\(name) is a Kafka internal topic and cannot be deleted: \(what)"
    }
}
