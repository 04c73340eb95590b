import KafkaProtocol

extension KafkaClient {
    /// The topic's metadata once the cluster serves it, waiting up to `timeout` while it is not
    /// there yet — Kafka's clients treat UNKNOWN_TOPIC_OR_PARTITION and LEADER_NOT_AVAILABLE as
    /// retriable while metadata propagates: a topic created a moment ago through one broker is
    /// unknown to the others for a while, and one being auto-created has no leaders yet.
    ///
    /// With `allowAutoTopicCreation` (the producer's case), a missing topic is asked for with
    /// Metadata's `allow_auto_topic_creation`, so a broker with `auto.create.topics.enable=true`
    /// creates it, as it does for kafka-console-producer and kcat. Between attempts the metadata
    /// is refreshed after a backoff. After `timeout` the last error is thrown
    /// (UNKNOWN_TOPIC_OR_PARTITION: "not present in metadata after N ms", as Kafka's producer
    /// says); an error that waiting cannot cure (INVALID_TOPIC_EXCEPTION, an authorization
    /// failure) is thrown at once.
    public func waitForTopic(_ topic: String, allowAutoTopicCreation: Bool, timeout: Duration) async throws -> TopicInfo {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var attempt = 1
        var lastError: KafkaClientError
        while true {
            do {
                var metadata = try await metadata(topics: [topic], refresh: attempt > 1)
                if allowAutoTopicCreation && metadata.topics[topic].map({ $0.error == .unknownTopicOrPartition }) ?? true {
                    // The cache's refreshes never create topics (they cover every topic of the
                    // client, a consumer's included): this one request may.
                    _ = try await fetchMetadata(topics: [topic], allowAutoTopicCreation: true)
                    metadata = try await self.metadata(topics: [topic], refresh: true)
                }
                if let info = metadata.topics[topic], info.error == .noError, !info.partitions.isEmpty { return info }
                lastError = Self.topicNotReady(topic, metadata.topics[topic])
            } catch let error as KafkaClientError where error.isRetriable {
                lastError = error
            }
            if let code = lastError.errorCode, code != .unknownTopicOrPartition && code != .leaderNotAvailable && !code.isRetriable {
                throw lastError
            }
            let now = clock.now
            guard now < deadline else {
                if lastError.errorCode == .unknownTopicOrPartition {
                    let ms = Int(timeout.nanoseconds / 1_000_000)
                    throw KafkaClientError.broker(.unknownTopicOrPartition, resource: "topic '\(topic)'",
                                                  message: "topic '\(topic)' not present in metadata after \(ms) ms")
                }
                throw lastError
            }
            invalidateMetadata()
            // The last attempt comes at the deadline.
            try await Task.sleep(for: min(configuration.retry.backoff(afterAttempt: attempt), deadline - now))
            attempt += 1
        }
    }

    private static func topicNotReady(_ topic: String, _ info: TopicInfo?) -> KafkaClientError {
        guard let info, info.error != .unknownTopicOrPartition else {
            return KafkaClientError.broker(.unknownTopicOrPartition, resource: "topic '\(topic)'")
        }
        if info.error != .noError { return KafkaClientError.broker(info.error, resource: "topic '\(topic)'") }
        return KafkaClientError.broker(.leaderNotAvailable, resource: "topic '\(topic)'", message: "the topic has no partitions yet")
    }
}
