import KafkaProtocol
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// One client connection: turns frames into requests, dispatches them, and writes the responses
/// strictly in request order (see ``ResponseOrdering``).
///
/// Security: every request runs as the connection's principal (``ConnectionSession``). On a TLS
/// listener the client certificate's principal is set when the handshake completes; on a SASL
/// listener nothing but ApiVersions and the SASL requests is served before authentication
/// (anything else closes the connection), and a failed authentication closes it once its answer
/// is written. After a SaslHandshake v0 the SASL tokens arrive as raw frames and are answered so.
///
/// A frame that cannot be decoded, an unknown API key or an unsupported version closes this
/// connection, as Kafka does; the broker and its other connections go on. Reading pauses while
/// `maxInFlight` requests are unanswered, so a client cannot queue unbounded work.
///
/// Quotas: a response that throttles its client (``EncodedResponse/muteMs``) mutes the
/// connection as soon as it is ready: no read from the socket until a task scheduled on this
/// event loop unmutes it (Kafka mutes a throttled channel the same way), so clients that ignore
/// `throttle_time_ms` are held as well. Requests already under way keep being served; frames that
/// a read already asked for delivers meanwhile wait, unserved, until the connection is unmuted.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Asks the connection to close once its in-flight requests are answered (broker shutdown).
    struct DrainEvent {}

    private let registry: HandlerRegistry
    private let session: ConnectionSession
    private let listener: ListenerRuntime
    private var logger: Logger
    private let maxInFlight: Int
    private var ordering = ResponseOrdering<EncodedResponse>()
    private var readPending = false
    /// Throttled by a quota until then (reads wait); the task that ends it.
    private var mutedUntil: NIODeadline?
    private var unmuteTask: Scheduled<Void>?
    /// Frames that arrived while muted, served in order once unmuted.
    private var held: [ByteBuffer] = []
    private var servingHeld = false
    /// Set once the connection was throttled: from then on it serves one request at a time, as
    /// Kafka serves every connection, so that after each mute a pipelining client gets one
    /// request in before the next throttle decision rather than a socket buffer's worth.
    private var oneAtATime = false
    private var isActive = true
    private var isDraining = false
    private var clientAddress = "?"
    private let metrics: BrokerMetrics?
    /// The timing of each unanswered request, by sequence (only when metrics are recorded).
    private var timings: [Int: RequestTiming] = [:]
    /// How many outcomes ``ResponseOrdering`` has released: the next released one's sequence.
    private var released = 0

    private struct RequestTiming {
        var metrics: RequestMetrics
        var arrival: NIODeadline
        var completed: NIODeadline?
    }

    init(registry: HandlerRegistry, session: ConnectionSession, listener: ListenerRuntime, metrics: BrokerMetrics? = nil,
         logger: Logger, maxInFlight: Int = 100) {
        self.registry = registry
        self.metrics = metrics
        self.session = session
        self.listener = listener
        self.logger = logger
        self.maxInFlight = maxInFlight
    }

    func channelActive(context: ChannelHandlerContext) {
        clientAddress = context.remoteAddress?.description ?? "?"
        logger[metadataKey: "client"] = "\(clientAddress)"
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard isActive, !isDraining, !session.closeRequested else { return }
        let frame = unwrapInboundIn(data)
        // Muted: a read asked for before the mute may still deliver frames; they wait too.
        if !canServe || !held.isEmpty { return held.append(frame) }
        process(frame, context: context)
    }

    private func process(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        let arrival = NIODeadline.now()
        if session.expectsRawToken { return rawToken(frame, context: context) }
        let request: RequestFrame
        do {
            request = try RequestFrame(frame: frame)
        } catch {
            return close(context, reason: "undecodable request header: \(error)")
        }
        if case .close(let reason) = session.admit(request.apiKey) {
            return close(context, reason: reason, level: .info)
        }
        var requestContext = RequestContext(header: request.header, eventLoop: context.eventLoop, clientAddress: clientAddress,
                                            principal: session.principal, listenerName: session.listenerName,
                                            securityProtocol: session.securityProtocol)
        requestContext.session = session
        requestContext.connectionClosed = context.channel.closeFuture
        requestContext.requestSize = 4 + frame.readableBytes
        let future: EventLoopFuture<EncodedResponse?>
        do {
            future = try registry.dispatch(request, context: requestContext)
        } catch {
            let name = request.apiKey.map { "\($0) v\(request.apiVersion)" } ?? "key \(request.header.requestApiKey)"
            if let metrics, let key = request.apiKey { metrics.requestMetrics(key).errors.increment() }
            return close(context, reason: "rejected \(name) request: \(error)")
        }
        let timing = request.apiKey.flatMap { key in metrics.map { RequestTiming(metrics: $0.requestMetrics(key), arrival: arrival) } }
        track(listener.prepareForWrite(future, on: context.eventLoop), timing: timing, context: context)
        // A produce over its quota is throttled as it is dispatched: nothing read behind it is
        // served before the throttle time is over.
        let muteMs = session.takeMuteRequest()
        if muteMs > 0 { mute(for: muteMs, context: context) }
    }

    private func track(_ future: EventLoopFuture<EncodedResponse?>, timing: RequestTiming? = nil, context: ChannelHandlerContext) {
        let sequence = ordering.admit()
        if let timing { timings[sequence] = timing }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        future.hop(to: context.eventLoop).whenComplete { result in
            let (handler, context) = loopBound.value
            handler.finished(sequence, result, context: context)
        }
    }

    /// A SASL token sent as a raw frame (after SaslHandshake v0), answered as a raw frame; a
    /// failure closes the connection after the failed-authentication delay (v0 has no error slot).
    private func rawToken(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        switch session.authenticate(Array(frame.readableBytesView)) {
        case .challenge(let bytes), .success(_, let bytes):
            var out = context.channel.allocator.buffer(capacity: 4 + bytes.count)
            out.writeInteger(Int32(bytes.count))
            out.writeBytes(bytes)
            track(context.eventLoop.makeSucceededFuture(EncodedResponse(parts: [.byteBuffer(out)], onWritten: nil)), context: context)
        case let .failure(mechanism, reason):
            logger.info("failed authentication (\(mechanism), SaslHandshake v0): \(reason)")
            let delayed = context.eventLoop.scheduleTask(in: session.failureDelay) { EncodedResponse?.none }.futureResult
            track(delayed, context: context)
        case .illegalState:
            close(context, reason: "unexpected raw SASL token", level: .info)
        }
    }

    private func finished(_ sequence: Int, _ result: Result<EncodedResponse?, any Error>, context: ChannelHandlerContext) {
        if timings[sequence] != nil { timings[sequence]!.completed = .now() }
        if case .failure = result, let timing = timings[sequence] { timing.metrics.errors.increment() }
        switch result {
        case let .success(response):
            guard isActive else {
                response?.onWritten?()
                return
            }
            // Muted from the moment the throttle is decided: with pipelined requests, reading on
            // until the response is written would let a fast client send far past its quota
            // (Kafka reads one request per connection at a time, so it never does).
            if let muteMs = response?.muteMs, muteMs > 0 { mute(for: muteMs, context: context) }
            let released = ordering.finish(sequence, response.map { .respond($0) } ?? .silent)
            write(released, context: context)
        case let .failure(error):
            guard isActive else { return }
            close(context, reason: "request failed: \(error)")
        }
    }

    /// Counts the released requests and records their times: total (arrival → written) and
    /// response queue (handler done → written, behind earlier requests of this connection).
    private func recordReleased(_ count: Int) {
        defer { released += count }
        guard metrics != nil, !timings.isEmpty else { return }
        let now = NIODeadline.now()
        for sequence in released..<released + count {
            guard let timing = timings.removeValue(forKey: sequence) else { continue }
            timing.metrics.requests.increment()
            timing.metrics.totalTimeMs.record(Double((now - timing.arrival).nanoseconds) / 1_000_000)
            if let completed = timing.completed {
                timing.metrics.responseQueueTimeMs.record(Double((now - completed).nanoseconds) / 1_000_000)
            }
        }
    }

    private func write(_ outcomes: [ResponseOrdering<EncodedResponse>.Outcome], context: ChannelHandlerContext) {
        recordReleased(outcomes.count)
        // A failed authentication: close once every admitted answer is written.
        let closing = session.closeRequested && ordering.inFlight == 0
        var lastWrite: EventLoopFuture<Void>?
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
                    lastWrite = promise.futureResult
                } else if closing {
                    let promise = context.eventLoop.makePromise(of: Void.self)
                    context.write(wrapOutboundOut(last), promise: promise)
                    lastWrite = promise.futureResult
                } else {
                    context.write(wrapOutboundOut(last), promise: nil)
                }
            }
            wrote = true
        }
        if wrote { context.flush() }
        if closing {
            isActive = false
            let channel = context.channel
            if let lastWrite {
                lastWrite.whenComplete { _ in channel.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
            return
        }
        if isDraining && ordering.inFlight == 0 {
            context.close(promise: nil)
        } else {
            serveHeld(context: context)
            if readPending && canRead {
                readPending = false
                context.read()
            }
        }
    }

    /// Whether the next request may be served now: not muted, and (once throttled) none under way.
    private var canServe: Bool { mutedUntil == nil && !(oneAtATime && ordering.inFlight > 0) }

    /// Whether to read from the socket now.
    private var canRead: Bool { canServe && held.isEmpty && ordering.inFlight < maxInFlight && !isDraining }

    /// Serves the frames that waited, in order, while the connection may serve.
    private func serveHeld(context: ChannelHandlerContext) {
        guard !servingHeld else { return }
        servingHeld = true
        defer { servingHeld = false }
        while canServe, isActive, !isDraining, !session.closeRequested, !held.isEmpty {
            process(held.removeFirst(), context: context)
        }
    }

    /// Stops reading until `ms` from now (or later, if already muted longer).
    private func mute(for ms: Int64, context: ChannelHandlerContext) {
        let until = NIODeadline.now() + .milliseconds(ms)
        if let mutedUntil, mutedUntil >= until { return }
        mutedUntil = until
        oneAtATime = true
        unmuteTask?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        unmuteTask = context.eventLoop.scheduleTask(deadline: until) {
            let (handler, context) = loopBound.value
            handler.unmute(context: context)
        }
    }

    private func unmute(context: ChannelHandlerContext) {
        mutedUntil = nil
        unmuteTask = nil
        guard isActive else { return }
        serveHeld(context: context)
        if readPending && canRead {
            readPending = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        if !canRead {
            readPending = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            certificateVerified(context: context)
            context.fireUserInboundEventTriggered(event)
        } else if event is DrainEvent {
            isDraining = true
            if ordering.inFlight == 0 { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// The TLS handshake completed: a client certificate (verified by the TLS layer against the
    /// trust store) gives the connection its principal before any request is read.
    private func certificateVerified(context: ChannelHandlerContext) {
        guard let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
              let certificate = tls.peerCertificate else { return }
        do {
            session.setCertificatePrincipal(try listener.principal(for: certificate))
        } catch {
            close(context, reason: "client certificate refused: \(error)", level: .info)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isActive = false
        unmuteTask?.cancel()
        unmuteTask = nil
        held = []
        for case let .respond(response) in ordering.drain() {
            response.onWritten?()
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A peer resetting its connection is ordinary, a failed TLS handshake (a plaintext client,
        // an untrusted or expired certificate) is the client's problem; a bad frame deserves a warning.
        let level: Logger.Level = error is IOError ? .debug : (error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError ? .info : .warning)
        close(context, reason: "\(error)", level: level)
    }

    private func close(_ context: ChannelHandlerContext, reason: String, level: Logger.Level = .warning) {
        guard isActive else { return }
        logger.log(level: level, "closing connection: \(reason)")
        isActive = false
        context.close(promise: nil)
    }
}
