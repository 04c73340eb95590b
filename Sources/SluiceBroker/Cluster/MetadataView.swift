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
        var waiters: [Waiter] = []
    }

    private struct Waiter {
        var condition: @Sendable (MetadataImage) -> Bool
        var promise: EventLoopPromise<Bool>
    }

    private let state = NIOLockedValueBox(State())
    /// Told about each published image (the partition-state publisher).
    private let onPublish: NIOLockedValueBox<(@Sendable (MetadataImage) -> Void)?> = NIOLockedValueBox(nil)

    init() {}

    var image: MetadataImage { state.withLockedValue { $0.image } }

    /// The Raft leader, which is the active controller (nil while there is none).
    var controllerId: Int32? { state.withLockedValue { $0.controllerId } }

    func setController(_ id: Int32?) { state.withLockedValue { $0.controllerId = id } }

    func onPublish(_ body: @escaping @Sendable (MetadataImage) -> Void) { onPublish.withLockedValue { $0 = body } }

    func publish(_ image: MetadataImage) {
        // The publisher first: a waiter woken below may flush it and find this image delivered.
        onPublish.withLockedValue { $0 }?(image)
        let satisfied = state.withLockedValue { state -> [Waiter] in
            state.image = image
            var ready: [Waiter] = []
            state.waiters.removeAll { waiter in
                guard waiter.condition(image) else { return false }
                ready.append(waiter)
                return true
            }
            return ready
        }
        for waiter in satisfied { waiter.promise.succeed(true) }
    }

    /// Completes with true once the image satisfies `condition`, false after `timeout`.
    func wait(until condition: @escaping @Sendable (MetadataImage) -> Bool, timeout: TimeAmount,
              on eventLoop: any EventLoop) -> EventLoopFuture<Bool> {
        let promise = eventLoop.makePromise(of: Bool.self)
        let already = state.withLockedValue { state -> Bool in
            if condition(state.image) { return true }
            state.waiters.append(Waiter(condition: condition, promise: promise))
            return false
        }
        if already {
            promise.succeed(true)
        } else {
            eventLoop.scheduleTask(in: timeout) { promise.succeed(false) }
        }
        return promise.futureResult
    }
}
