import KafkaProtocol
import NIOCore
import NIOSSL

/// A request on its way out: the encoded frame, its correlation id, and where its answer goes
/// (nil for requests that get no answer, i.e. produce with `acks=0`).
struct OutgoingRequest {
    var frame: ByteBuffer
    var correlationId: Int32
    var response: EventLoopPromise<ByteBuffer>?
}

/// The pipelining handler: many requests in flight on one connection, answers matched in order.
///
/// Kafka brokers answer the requests of one connection strictly in the order they arrived, so the
/// handler keeps the promises of requests in flight in a FIFO and completes the head with each
/// response frame, after checking that its correlation id is the one expected. A mismatch means
/// the stream is out of step: the connection is closed and everything in flight fails, since no
/// later answer could be trusted either. All state is touched on the channel's event loop only.
final class ResponseMatcher: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = OutgoingRequest
    typealias OutboundOut = ByteBuffer

    private var inFlight = CircularBuffer<(correlationId: Int32, promise: EventLoopPromise<ByteBuffer>)>(initialCapacity: 16)
    private var failure: KafkaClientError?
    private let peer: String

    init(peer: String) {
        self.peer = peer
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.response?.fail(failure)
            promise?.fail(failure)
            return
        }
        if let response = request.response {
            inFlight.append((request.correlationId, response))
        }
        context.write(wrapOutboundOut(request.frame), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let head = inFlight.popFirst() else {
            fail(context: context, KafkaClientError(.protocolViolation, "a response arrived with no request in flight", resource: peer))
            return
        }
        guard let id = KafkaFrame.peekCorrelationId(frame), id == head.correlationId else {
            let got = KafkaFrame.peekCorrelationId(frame).map(String.init) ?? "none"
            let error = KafkaClientError(.protocolViolation,
                                         "expected the answer to correlation id \(head.correlationId), got \(got)", resource: peer)
            head.promise.fail(error)
            fail(context: context, error)
            return
        }
        head.promise.succeed(frame)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let reason: KafkaClientError
        if let frameError = error as? FrameSizeError {
            reason = KafkaClientError(.protocolViolation, "\(frameError)", resource: peer)
        } else if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError {
            reason = KafkaClientError(.connection, "TLS handshake failed: \(error) (does the listener speak TLS, and does "
                                      + "ssl.ca.location hold the CA that signed its certificate?)", resource: peer)
        } else {
            reason = KafkaClientError(.connection, "\(error)", resource: peer)
        }
        fail(context: context, reason)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(failure ?? KafkaClientError(.connection, "the connection was closed", resource: peer))
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, _ error: KafkaClientError) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: KafkaClientError) {
        if failure == nil { failure = error }
        while let entry = inFlight.popFirst() {
            entry.promise.fail(error)
        }
    }
}
