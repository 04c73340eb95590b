import KafkaProtocol

/// Kafka's rules for topic names and partition counts.
enum TopicValidation {
    static let maxNameLength = 249
    /// A safety limit per topic: each partition is a directory with open files.
    static let maxPartitions: Int32 = 10_000
    /// The most partitions one CreateTopics or CreatePartitions request may create, Kafka's
    /// `ReplicationControlManager.MAX_PARTITIONS_PER_BATCH`.
    static let maxPartitionsPerRequest = 10_000

    /// POLICY_VIOLATION when creating partitions `counts` (per topic; -1 is `defaultPartitions`,
    /// other non-positive counts add nothing) in one request exceeds `limit`, as Kafka's controller
    /// refuses it (`validateTotalNumberOfPartitions`): at once, before any work.
    static func partitionsPerRequestRefusal(_ counts: [Int32], defaultPartitions: Int32,
                                            limit: Int = maxPartitionsPerRequest) -> ApiError? {
        let total = counts.reduce(0) { $0 + ($1 == -1 ? Int(defaultPartitions) : max(0, Int($1))) }
        guard total > limit else { return nil }
        return ApiError(.policyViolation, "Excessively large number of partitions per request: \(total) partitions, "
                        + "the limit is \(limit) (create them in several requests).")
    }

    /// INVALID_TOPIC_EXCEPTION for names Kafka rejects.
    static func validateName(_ name: String) throws {
        if name.isEmpty { throw ApiError(.invalidTopicException, "Topic name is illegal, it can't be empty") }
        if name == "__cluster_metadata" {
            throw ApiError(.invalidTopicException, "Topic name __cluster_metadata is reserved for the metadata log")
        }
        if name == "." || name == ".." {
            throw ApiError(.invalidTopicException, "Topic name cannot be \".\" or \"..\"")
        }
        if name.utf8.count > maxNameLength {
            throw ApiError(.invalidTopicException,
                           "Topic name is illegal, it can't be longer than \(maxNameLength) characters, topic name: \(name)")
        }
        let legal = name.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39)
                || c == 0x2E || c == 0x5F || c == 0x2D
        }
        if !legal {
            throw ApiError(.invalidTopicException,
                           "Topic name \"\(name)\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'")
        }
    }

    /// Kafka refuses names that differ from an existing one only by '.' versus '_' (they collide in metric names).
    static func collisionKey(_ name: String) -> String {
        String(name.map { $0 == "." ? "_" : $0 })
    }
}
