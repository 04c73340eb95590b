import NIOConcurrencyHelpers
import NIOCore

/// The latest committed ``MetadataImage`` of this node, for handlers (lock-protected copies,
/// cheap), plus who the controller is; and waiting for the image to reach a state (a forwarded
/// CreateTopics returns once the local image has the topic, so the client's next Metadata
/// request to this broker finds it).
final class MetadataView: Sendable {
    private struct State {
        var image = MetadataImage()
        var controllerId: Int32?
        /// Since when no controller has been known (nil while one is); from start-up at first.
        var controllerUnknownSince: NIODeadline? = .now()
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    private struct Waiter {
        var condition: @Sendable (MetadataImage) -> Bool
        var promise: EventLoopPromise<Bool>
        var timeout: Scheduled<Void>?
    }

    private let state = NIOLockedValueBox(State())
    /// Told about each published image and what changed (the partition-state publisher).
    private let onPublish: NIOLockedValueBox<(@Sendable (MetadataImage, MetadataDelta) -> Void)?> = NIOLockedValueBox(nil)

    init() {}

    var image: MetadataImage { state.withLockedValue { $0.image } }

    /// The Raft leader, which is the active controller (nil while there is none).
    var controllerId: Int32? { state.withLockedValue { $0.controllerId } }

    /// Since when no controller has been known: nil while one is.
    var controllerUnknownSince: NIODeadline? { state.withLockedValue { $0.controllerUnknownSince } }

    func setController(_ id: Int32?) {
        state.withLockedValue { state in
            if id == nil, state.controllerId != nil || state.controllerUnknownSince == nil { state.controllerUnknownSince = .now() }
            if id != nil { state.controllerUnknownSince = nil }
            state.controllerId = id
        }
    }

    func onPublish(_ body: @escaping @Sendable (MetadataImage, MetadataDelta) -> Void) { onPublish.withLockedValue { $0 = body } }

    /// Publishes `image`; `delta` is what changed since the previously published one.
    func publish(_ image: MetadataImage, delta: MetadataDelta) {
        // The publisher first: a waiter woken below may flush it and find this image delivered.
        onPublish.withLockedValue { $0 }?(image, delta)
        let satisfied = state.withLockedValue { state -> [Waiter] in
            state.image = image
            let ready = state.waiters.filter { $0.value.condition(image) }
            for id in ready.keys { state.waiters[id] = nil }
            return Array(ready.values)
        }
        for waiter in satisfied {
            waiter.timeout?.cancel()
            waiter.promise.succeed(true)
        }
    }

    /// Completes every waiter with false and every later wait at once (the node is stopping; its
    /// event loops may not run their timeouts any more).
    func close() {
        let waiters = state.withLockedValue { state -> [Waiter] in
            state.closed = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.timeout?.cancel()
            waiter.promise.succeed(false)
        }
    }

    /// Completes with true once the image satisfies `condition`, false after `timeout`.
    func wait(until condition: @escaping @Sendable (MetadataImage) -> Bool, timeout: TimeAmount,
              on eventLoop: any EventLoop) -> EventLoopFuture<Bool> {
        let promise = eventLoop.makePromise(of: Bool.self)
        enum Registration { case satisfied, closed, waiting(UInt64) }
        let registration = state.withLockedValue { state -> Registration in
            if condition(state.image) { return .satisfied }
            if state.closed { return .closed }
            state.nextWaiter += 1
            state.waiters[state.nextWaiter] = Waiter(condition: condition, promise: promise)
            return .waiting(state.nextWaiter)
        }
        let id: UInt64
        switch registration {
        case .satisfied:
            promise.succeed(true)
            return promise.futureResult
        case .closed:
            promise.succeed(false)
            return promise.futureResult
        case .waiting(let registered):
            id = registered
        }
        let timer = eventLoop.scheduleTask(in: timeout) { [state] in
            // Still waiting: give up (and forget the waiter, so that later images skip it).
            if state.withLockedValue({ $0.waiters.removeValue(forKey: id) }) != nil { promise.succeed(false) }
        }
        state.withLockedValue { state in
            if state.waiters[id] != nil { state.waiters[id]?.timeout = timer } else { timer.cancel() }
        }
        return promise.futureResult
    }
}
