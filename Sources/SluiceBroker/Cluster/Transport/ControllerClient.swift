import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase

/// The ``ControllerChannel``: requests to the active controller, wherever it is.
///
/// The controller is the Raft leader this node knows (`MetadataView.controllerId`). When that
/// is this node, the request runs through the local controller-listener registry (same code as
/// over the network, no socket); otherwise it goes to the leader's controller listener. A lost
/// connection, no known leader, or a NOT_CONTROLLER answer (the leader moved) waits a moment and
/// tries again until the timeout.
final class ControllerClient: ControllerChannel, Sendable {
    private let nodeID: Int32
    private let view: MetadataView
    private let voters: [Int32: BrokerAddress]
    private let pool: PeerConnectionPool
    private let group: any EventLoopGroup
    private let logger: Logger
    private let localRegistry = NIOLockedValueBox<HandlerRegistry?>(nil)
    private let correlation = NIOLockedValueBox<Int32>(1)
    /// Requests not answered yet, by id: ``close()`` fails them (their retries are scheduled on
    /// event loops that stop with the node, and a promise must not be dropped unanswered).
    private let unanswered = NIOLockedValueBox(Unanswered())

    private struct Unanswered {
        var closed = false
        var nextId: UInt64 = 0
        var fail: [UInt64: @Sendable (any Error) -> Void] = [:]
    }

    init(nodeID: Int32, view: MetadataView, voters: [Int32: BrokerAddress], pool: PeerConnectionPool,
         group: any EventLoopGroup, logger: Logger) {
        self.nodeID = nodeID
        self.view = view
        self.voters = voters
        self.pool = pool
        self.group = group
        self.logger = logger
    }

    /// The controller-listener handlers of this node, for requests to itself.
    func setLocalRegistry(_ registry: HandlerRegistry) { localRegistry.withLockedValue { $0 = registry } }

    func send<R: KafkaRequest>(_ request: R, version: Int16, timeoutMs: Int64) async throws -> R.Response {
        try await sendFuture(request, version: version, timeoutMs: timeoutMs).get()
    }

    /// The future form: completes on `eventLoop` (one of the group's loops when nil). Retries are
    /// scheduled on that loop; nothing waits on a thread.
    func sendFuture<R: KafkaRequest>(_ request: R, version: Int16, timeoutMs: Int64,
                                     on eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<R.Response> {
        let loop = eventLoop ?? group.next()
        let deadline = NIODeadline.now() + .milliseconds(timeoutMs)
        let promise = loop.makePromise(of: R.Response.self)
        let id = unanswered.withLockedValue { state -> UInt64? in
            guard !state.closed else { return nil }
            state.nextId += 1
            state.fail[state.nextId] = { promise.fail($0) }
            return state.nextId
        }
        guard let id else {
            promise.fail(PeerConnectionError("the controller channel is closed (shutting down)"))
            return promise.futureResult
        }
        promise.futureResult.whenComplete { [unanswered] _ in _ = unanswered.withLockedValue { $0.fail.removeValue(forKey: id) } }
        attempt(request, version: version, id: id, deadline: deadline, loop: loop, promise: promise, lastError: nil)
        return promise.futureResult
    }

    /// Fails every unanswered request and refuses new ones (the node is stopping).
    func close() {
        let pending = unanswered.withLockedValue { state in
            state.closed = true
            defer { state.fail = [:] }
            return Array(state.fail.values)
        }
        for fail in pending { fail(PeerConnectionError("the controller channel is closed (shutting down)")) }
    }

    private func attempt<R: KafkaRequest>(_ request: R, version: Int16, id: UInt64, deadline: NIODeadline, loop: any EventLoop,
                                          promise: EventLoopPromise<R.Response>, lastError: String?) {
        // Answered meanwhile (failed by close()).
        guard unanswered.withLockedValue({ $0.fail[id] != nil }) else { return }
        guard NIODeadline.now() < deadline else {
            promise.fail(ApiError(.requestTimedOut, "no active controller answered \(R.apiKey) in time"
                                  + (lastError.map { " (last: \($0))" } ?? "")))
            return
        }
        let retry: @Sendable (String) -> Void = { [self] reason in
            loop.scheduleTask(in: .milliseconds(50)) {
                self.attempt(request, version: version, id: id, deadline: deadline, loop: loop, promise: promise,
                             lastError: reason)
            }
        }
        guard let controller = view.controllerId else { return retry("no controller is known") }
        let remaining = max(deadline - .now(), .milliseconds(1))
        let future: EventLoopFuture<R.Response>
        if controller == nodeID, let registry = localRegistry.withLockedValue({ $0 }) {
            future = Self.timingOut(dispatchLocally(request, version: version, registry: registry, loop: loop),
                                    after: remaining, on: loop)
        } else if let address = voters[controller] {
            future = pool.send(request, version: version, to: address, lane: .controller, timeout: remaining)
        } else {
            return retry("no address for controller \(controller)")
        }
        future.hop(to: loop).whenComplete { result in
            switch result {
            case .success(let response):
                if let routed = response as? any ControllerResponse, routed.isNotController {
                    retry("node \(controller) is not the controller")
                } else {
                    promise.succeed(response)
                }
            case .failure(let error):
                retry("\(error)")
            }
        }
    }

    /// `future`, or a failure after `timeout` if it has not completed by then: a request to this
    /// node's own controller gives up when its time is up, as one over a socket does (a heartbeat
    /// must not wait for the controller's current operation to end before the next is sent).
    private static func timingOut<T: Sendable>(_ future: EventLoopFuture<T>, after timeout: TimeAmount,
                                               on loop: any EventLoop) -> EventLoopFuture<T> {
        let promise = loop.makePromise(of: T.self)
        let done = NIOLockedValueBox(false)
        let first: @Sendable () -> Bool = {
            done.withLockedValue { done in
                defer { done = true }
                return !done
            }
        }
        let timer = loop.scheduleTask(in: timeout) {
            if first() { promise.fail(PeerConnectionError("this node's controller did not answer in time")) }
        }
        future.whenComplete { result in
            timer.cancel()
            if first() { promise.completeWith(result) }
        }
        return promise.futureResult
    }

    /// Runs the request through this node's controller registry: encoded and decoded exactly as
    /// over a socket, so both paths share every line of handler code.
    private func dispatchLocally<R: KafkaRequest>(_ request: R, version: Int16, registry: HandlerRegistry,
                                                  loop: any EventLoop) -> EventLoopFuture<R.Response> {
        let id = correlation.withLockedValue { value in
            defer { value = value == Int32.max ? 1 : value + 1 }
            return value
        }
        do {
            var frame = KafkaFrame.request(request, version: version, correlationId: id, clientId: "sluice-\(nodeID)")
            frame.moveReaderIndex(forwardBy: 4)
            let requestFrame = try RequestFrame(frame: frame)
            let context = RequestContext(header: requestFrame.header, eventLoop: loop, clientAddress: "local")
            return try registry.dispatch(requestFrame, context: context).flatMapThrowing { encoded in
                guard let encoded else { throw PeerConnectionError("\(R.apiKey) produced no response") }
                var bytes = ByteBuffer()
                for part in encoded.parts {
                    guard case .byteBuffer(let buffer) = part else { throw PeerConnectionError("unexpected file region") }
                    bytes.writeImmutableBuffer(buffer)
                }
                encoded.onWritten?()
                bytes.moveReaderIndex(forwardBy: 4)
                return try KafkaFrame.decodeResponse(R.Response.self, from: bytes, version: version).body
            }
        } catch {
            return loop.makeFailedFuture(error)
        }
    }
}

/// Responses that say "I am not the controller" (the request must go to the new one).
protocol ControllerResponse {
    var isNotController: Bool { get }
}

private let notController = ErrorCode.notController.rawValue

extension CreateTopicsResponse: ControllerResponse {
    var isNotController: Bool { topics.contains { $0.errorCode == notController } }
}
extension DeleteTopicsResponse: ControllerResponse {
    var isNotController: Bool { responses.contains { $0.errorCode == notController } }
}
extension CreatePartitionsResponse: ControllerResponse {
    var isNotController: Bool { results.contains { $0.errorCode == notController } }
}
extension AlterConfigsResponse: ControllerResponse {
    var isNotController: Bool { responses.contains { $0.errorCode == notController } }
}
extension AllocateProducerIdsResponse: ControllerResponse {
    var isNotController: Bool { errorCode == notController }
}
extension BrokerRegistrationResponse: ControllerResponse {
    var isNotController: Bool { errorCode == notController }
}
extension BrokerHeartbeatResponse: ControllerResponse {
    var isNotController: Bool { errorCode == notController }
}
extension AlterPartitionResponse: ControllerResponse {
    var isNotController: Bool { errorCode == notController }
}
extension UnregisterBrokerResponse: ControllerResponse {
    var isNotController: Bool { errorCode == notController }
}
extension AlterPartitionReassignmentsResponse: ControllerResponse {
    var isNotController: Bool {
        errorCode == notController || responses.contains { $0.partitions.contains { $0.errorCode == notController } }
    }
}
extension ListPartitionReassignmentsResponse: ControllerResponse {
    var isNotController: Bool { errorCode == notController }
}
