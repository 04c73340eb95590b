import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// What the HTTP endpoint serves: the metrics (rendered on the channel's event loop) and the
/// broker's readiness.
struct MetricsEndpoints: Sendable {
    var scrape: @Sendable (any EventLoop) -> EventLoopFuture<[UInt8]>
    var readiness: @Sendable () -> BrokerReadiness
}

/// The broker's HTTP listener (`metrics.listener`): `GET /metrics`, `GET /health/live`,
/// `GET /health/ready`, on the broker's event loops.
///
/// Built on NIOHTTP1's server pipeline with its protocol-error handler: a request NIOHTTP1
/// cannot parse (a header past its size limit, garbage) is answered 400 and its connection
/// closed; an unknown path gets 404, another method 405. Nothing a client sends stops the broker.
final class MetricsHTTPServer: Sendable {
    private let group: any EventLoopGroup
    private let endpoints: MetricsEndpoints
    private let logger: Logger
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

    init(group: any EventLoopGroup, endpoints: MetricsEndpoints, logger: Logger) {
        self.group = group
        self.endpoints = endpoints
        self.logger = logger
    }

    /// Binds and starts serving; returns the bound address (port 0 picks a free port).
    func start(host: String, port: Int) async throws -> SocketAddress {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [endpoints, logger] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(endpoints: endpoints, logger: logger))
                }
            }
        let bound = try await bootstrap.bind(host: host, port: port).get()
        channel.withLockedValue { $0 = bound }
        guard let address = bound.localAddress else { throw BrokerConfigError("the metrics listener has no address") }
        return address
    }

    func shutdown() async {
        if let bound = channel.withLockedValue({ $0 }) { try? await bound.close() }
    }
}

/// One HTTP connection: answers each request once its end arrives (bodies are ignored).
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoints: MetricsEndpoints
    private let logger: Logger
    private var head: HTTPRequestHead?

    init(endpoints: MetricsEndpoints, logger: Logger) {
        self.endpoints = endpoints
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard head.method == .GET || head.method == .HEAD else {
            return write(.methodNotAllowed, "only GET\n", head: head, context: context, extra: [("Allow", "GET, HEAD")])
        }
        switch path {
        case "/metrics":
            let openMetrics = OpenMetricsText.isRequested(by: head.headers.first(name: "accept"))
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            endpoints.scrape(context.eventLoop).hop(to: context.eventLoop).whenComplete { result in
                let (handler, context) = loopBound.value
                switch result {
                case .success(let text):
                    let body = openMetrics ? OpenMetricsText.convert(text) : text
                    let type = openMetrics ? OpenMetricsText.contentType : OpenMetricsText.prometheusContentType
                    handler.write(.ok, body, head: head, context: context, contentType: type)
                case .failure(let error):
                    handler.write(.internalServerError, Array("scrape failed: \(error)\n".utf8), head: head, context: context)
                }
            }
        case "/health/live":
            write(.ok, "live\n", head: head, context: context)
        case "/health/ready":
            let readiness = endpoints.readiness()
            if let reason = readiness.reason {
                write(.serviceUnavailable, "not ready: \(reason)\n", head: head, context: context)
            } else {
                write(.ok, "ready\n", head: head, context: context)
            }
        default:
            write(.notFound, "not found; try /metrics, /health/live or /health/ready\n", head: head, context: context)
        }
    }

    private func write(_ status: HTTPResponseStatus, _ text: String, head: HTTPRequestHead, context: ChannelHandlerContext,
                       extra: [(String, String)] = []) {
        write(status, Array(text.utf8), head: head, context: context, extra: extra)
    }

    private func write(_ status: HTTPResponseStatus, _ body: [UInt8], head: HTTPRequestHead, context: ChannelHandlerContext,
                       contentType: String = "text/plain; charset=utf-8", extra: [(String, String)] = []) {
        let keepAlive = head.isKeepAlive
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.count)")] + extra)
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let response = HTTPResponseHead(version: head.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlushPromise()
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !keepAlive {
            let channel = context.channel
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("metrics endpoint connection closed: \(error)")
        context.close(promise: nil)
    }
}

private extension ChannelHandlerContext {
    func writeAndFlushPromise() -> EventLoopPromise<Void> { eventLoop.makePromise(of: Void.self) }
}
