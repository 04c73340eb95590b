/// Runs `operation`, failing with a ``KafkaClientError`` of kind `.timeout` when it takes longer
/// than `timeout`. The operation is cancelled at the deadline.
public func withTimeout<T: Sendable>(
    _ timeout: Duration, _ what: @autoclosure () -> String,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let description = what()
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw KafkaClientError(.timeout, "\(description) did not finish within \(timeout)")
        }
        return value
    }
}
