import NIOConcurrencyHelpers
import NIOCore
import SluiceStorage

/// The produce requests parked until their partition's high watermark passes them (`acks=all`),
/// by waiter id: the promise to complete, and the timer that fails it with REQUEST_TIMED_OUT.
///
/// A waiter is registered before its append (so that a completion racing with the append's
/// return finds it); the append's result is attached after. A completion that arrives before
/// the result is kept and delivered when the result comes.
final class ProducePromises: Sendable {
    private struct Entry {
        var promise: EventLoopPromise<Result<LogAppendInfo, ApiError>>
        var info: LogAppendInfo?
        var timer: Scheduled<Void>?
        var early: ApiError??
    }

    private let entries = NIOLockedValueBox<[UInt64: Entry]>([:])
    private let nextId = NIOLockedValueBox<UInt64>(1)

    /// Registers a waiter for `promise`; returns its id.
    func register(_ promise: EventLoopPromise<Result<LogAppendInfo, ApiError>>) -> UInt64 {
        let id = nextId.withLockedValue { value in
            defer { value += 1 }
            return value
        }
        entries.withLockedValue { $0[id] = Entry(promise: promise) }
        return id
    }

    /// The append did not park (answered at once, or failed): forget the waiter.
    func discard(_ id: UInt64) {
        _ = entries.withLockedValue { $0.removeValue(forKey: id) }
    }

    /// The append parked: attach its result and its timer (cancelled on completion).
    func parked(_ id: UInt64, info: LogAppendInfo, timer: Scheduled<Void>) {
        let done: (Entry, ApiError?)? = entries.withLockedValue { entries in
            guard var entry = entries[id] else { return nil }
            entry.info = info
            entry.timer = timer
            if let early = entry.early {
                entries[id] = nil
                return (entry, early)
            }
            entries[id] = entry
            return nil
        }
        if let (entry, error) = done { finish(entry, error) }
    }

    /// The waiter completed: success when `error` is nil.
    func complete(_ id: UInt64, error: ApiError?) {
        let entry: Entry? = entries.withLockedValue { entries in
            guard var entry = entries[id] else { return nil }
            guard entry.info != nil else {
                entry.early = .some(error)
                entries[id] = entry
                return nil
            }
            entries[id] = nil
            return entry
        }
        if let entry { finish(entry, error) }
    }

    /// Fails every waiter (shutdown).
    func failAll(_ error: ApiError) {
        let all = entries.withLockedValue { entries in
            defer { entries = [:] }
            return Array(entries.values)
        }
        for entry in all {
            entry.timer?.cancel()
            entry.promise.succeed(.failure(error))
        }
    }

    var count: Int { entries.withLockedValue { $0.count } }

    private func finish(_ entry: Entry, _ error: ApiError?) {
        entry.timer?.cancel()
        if let error {
            entry.promise.succeed(.failure(error))
        } else {
            entry.promise.succeed(.success(entry.info!))
        }
    }
}
