extension KafkaClient {
    /// Runs a read that any broker can answer (Metadata, DescribeCluster, FindCoordinator) on the
    /// least loaded broker, with retries; when the answer is overdue
    /// (``ClientConfiguration/overdueRequestThreshold``) the same read also goes to another broker
    /// and the first answer wins.
    ///
    /// A broker that hangs without closing its connections (a stopped process, a network black
    /// hole) would otherwise hold the read for a whole request timeout. The unanswered request stays
    /// in flight on its connection until that timeout, which closes the connection and keeps the
    /// broker out of the choice for a while (``ClientConfiguration/unresponsiveBrokerBackoff``).
    /// Only reads go through here: sending one twice is harmless. `policy` overrides the client's
    /// retries (``RetryPolicy/none`` inside a caller's own retry loop).
    public func withAnyBroker<T: Sendable>(
        _ what: String, policy: RetryPolicy? = nil, _ operation: @escaping @Sendable (BrokerConnection) async throws -> T
    ) async throws -> T {
        try await withRetries(what, policy: policy) {
            let first = try await anyConnection()
            return try await hedged(first: first, operation)
        }
    }

    private func hedged<T: Sendable>(
        first: BrokerConnection, _ operation: @escaping @Sendable (BrokerConnection) async throws -> T
    ) async throws -> T {
        let threshold = configuration.overdueRequestThreshold
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation(first) }
            group.addTask {
                try await Task.sleep(for: threshold)
                return nil
            }
            defer { group.cancelAll() }
            var running = 1
            while let outcome = await group.nextResult() {
                switch outcome {
                case let .success(value?):
                    return value
                case .success(nil):
                    // The first broker is overdue: ask another one too, if there is one that answers.
                    guard let second = try? await anyConnection(avoiding: first.address) else { continue }
                    running += 1
                    group.addTask { try await operation(second) }
                case let .failure(error):
                    running -= 1
                    if running == 0 { throw error }
                }
            }
            throw CancellationError()    // only reached when the group was cancelled
        }
    }
}
