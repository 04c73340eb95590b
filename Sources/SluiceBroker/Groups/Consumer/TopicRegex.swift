import Foundation

/// Regular-expression subscriptions (`subscribed_topic_regex`, ConsumerGroupHeartbeat v1): a topic
/// matches when the whole name matches, as Java's `Pattern.matches`; internal topics never match.
/// librdkafka sends its `^`-prefixed subscriptions joined as `(^a)|(^b)`, and "" when it has none.
enum TopicRegex {
    /// Whether `pattern` compiles (INVALID_REGULAR_EXPRESSION otherwise).
    static func isValid(_ pattern: String) -> Bool {
        (try? NSRegularExpression(pattern: pattern)) != nil
    }

    /// The non-internal topics of `topics` whose whole name matches; nil if the pattern is invalid.
    static func matching(_ pattern: String, in topics: ConsumerTopics) -> Set<String>? {
        guard let regex = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$") else { return nil }
        var result: Set<String> = []
        for (name, topic) in topics.byName where !topic.isInternal {
            let range = NSRange(name.startIndex..<name.endIndex, in: name)
            if regex.firstMatch(in: name, options: [], range: range) != nil { result.insert(name) }
        }
        return result
    }
}
