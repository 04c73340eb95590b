import Foundation

/// Runs blocking work (waiting for a process, polling with `usleep`) on a thread of its own and
/// awaits it, so that an async test never holds one of the cooperative pool's few threads while
/// the client tasks it awaits need them.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
