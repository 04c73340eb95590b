import KafkaProtocol
import Logging
import NIOCore

/// One client connection: turns frames into requests, dispatches them, and writes the responses
/// strictly in request order (see ``ResponseOrdering``).
///
/// A frame that cannot be decoded, an unknown API key or an unsupported version closes this
/// connection, as Kafka does; the broker and its other connections go on. Reading pauses while
/// `maxInFlight` requests are unanswered, so a client cannot queue unbounded work.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Asks the connection to close once its in-flight requests are answered (broker shutdown).
    struct DrainEvent {}

    private let registry: HandlerRegistry
    private var logger: Logger
    private let maxInFlight: Int
    private var ordering = ResponseOrdering<EncodedResponse>()
    private var readPending = false
    private var isActive = true
    private var isDraining = false
    private var clientAddress = "?"

    init(registry: HandlerRegistry, logger: Logger, maxInFlight: Int = 100) {
        self.registry = registry
        self.logger = logger
        self.maxInFlight = maxInFlight
    }

    func channelActive(context: ChannelHandlerContext) {
        clientAddress = context.remoteAddress?.description ?? "?"
        logger[metadataKey: "client"] = "\(clientAddress)"
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard isActive, !isDraining else { return }
        let frame = unwrapInboundIn(data)
        let request: RequestFrame
        do {
            request = try RequestFrame(frame: frame)
        } catch {
            return close(context, reason: "undecodable request header: \(error)")
        }
        let requestContext = RequestContext(header: request.header, eventLoop: context.eventLoop,
                                            clientAddress: clientAddress)
        let future: EventLoopFuture<EncodedResponse?>
        do {
            future = try registry.dispatch(request, context: requestContext)
        } catch {
            let name = request.apiKey.map { "\($0) v\(request.apiVersion)" } ?? "key \(request.header.requestApiKey)"
            return close(context, reason: "rejected \(name) request: \(error)")
        }
        let sequence = ordering.admit()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        future.hop(to: context.eventLoop).whenComplete { result in
            let (handler, context) = loopBound.value
            handler.finished(sequence, result, context: context)
        }
    }

    private func finished(_ sequence: Int, _ result: Result<EncodedResponse?, any Error>, context: ChannelHandlerContext) {
        switch result {
        case let .success(response):
            guard isActive else {
                response?.onWritten?()
                return
            }
            let released = ordering.finish(sequence, response.map { .respond($0) } ?? .silent)
            write(released, context: context)
        case let .failure(error):
            guard isActive else { return }
            close(context, reason: "request failed: \(error)")
        }
    }

    private func write(_ outcomes: [ResponseOrdering<EncodedResponse>.Outcome], context: ChannelHandlerContext) {
        var wrote = false
        for outcome in outcomes {
            guard case let .respond(response) = outcome else { continue }
            for part in response.parts.dropLast() {
                context.write(wrapOutboundOut(part), promise: nil)
            }
            if let last = response.parts.last {
                if let onWritten = response.onWritten {
                    let promise = context.eventLoop.makePromise(of: Void.self)
                    promise.futureResult.whenComplete { _ in onWritten() }
                    context.write(wrapOutboundOut(last), promise: promise)
                } else {
                    context.write(wrapOutboundOut(last), promise: nil)
                }
            }
            wrote = true
        }
        if wrote { context.flush() }
        if isDraining && ordering.inFlight == 0 {
            context.close(promise: nil)
        } else if readPending && ordering.inFlight < maxInFlight {
            readPending = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        if ordering.inFlight >= maxInFlight || isDraining {
            readPending = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainEvent {
            isDraining = true
            if ordering.inFlight == 0 { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isActive = false
        for case let .respond(response) in ordering.drain() {
            response.onWritten?()
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A peer resetting its connection is ordinary; a bad frame deserves a warning.
        close(context, reason: "\(error)", level: error is IOError ? .debug : .warning)
    }

    private func close(_ context: ChannelHandlerContext, reason: String, level: Logger.Level = .warning) {
        guard isActive else { return }
        logger.log(level: level, "closing connection: \(reason)")
        isActive = false
        context.close(promise: nil)
    }
}
