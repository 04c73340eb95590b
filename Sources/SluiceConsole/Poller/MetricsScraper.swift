import NIOCore
import NIOPosix

/// A broker's HTTP metrics endpoint (`metrics.listener`).
public struct MetricsEndpoint: Hashable, Sendable {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// Reads `GET /metrics` of each broker that has an endpoint, in parallel, each within `timeout`,
/// and keeps the produce and fetch request-time histograms. An HTTP/1.0 request over a bare NIO
/// connection (the broker closes after answering); a broker that does not answer is left out.
enum MetricsScraper {
    static let maxBytes = 8 << 20

    static func scrape(_ endpoints: [Int32: MetricsEndpoint], timeout: Duration) async -> [Int32: ServerLatencyHistograms] {
        await withTaskGroup(of: (Int32, ServerLatencyHistograms?).self) { group in
            for (id, endpoint) in endpoints {
                group.addTask { (id, try? await fetch(endpoint, timeout: timeout)) }
            }
            var result: [Int32: ServerLatencyHistograms] = [:]
            for await (id, histograms) in group { if let histograms { result[id] = histograms } }
            return result
        }
    }

    static func fetch(_ endpoint: MetricsEndpoint, timeout: Duration) async throws -> ServerLatencyHistograms {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: ByteBuffer.self)
        let milliseconds = Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.milliseconds(milliseconds))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(host: endpoint.host, promise: promise))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            // A broker that is down refuses the connection: the collector never ran, so its
            // promise is completed here (an uncompleted promise is a leak NIO stops on).
            promise.fail(error)
            throw error
        }
        let timer = loop.scheduleTask(in: .milliseconds(milliseconds)) { channel.close(promise: nil) }
        defer { timer.cancel() }
        let response = try await promise.futureResult.get()
        let text = String(buffer: response)
        guard text.hasPrefix("HTTP/1.") && text.dropFirst(9).hasPrefix("200"), let body = text.range(of: "\r\n\r\n") else {
            throw ChannelError.inputClosed
        }
        return ServerLatencyHistograms.parse(text[body.upperBound...])
    }
}

/// Sends the request when connected, gathers the response until the server closes.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let host: String
    private let promise: EventLoopPromise<ByteBuffer>
    private var received: ByteBuffer?
    private var completed = false

    init(host: String, promise: EventLoopPromise<ByteBuffer>) {
        self.host = host
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        let request = "GET /metrics HTTP/1.0\r\nHost: \(host)\r\nAccept: text/plain\r\n\r\n"
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        if received == nil { received = chunk } else { received!.writeBuffer(&chunk) }
        if received!.readableBytes > MetricsScraper.maxBytes { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !completed {
            completed = true
            if let received { promise.succeed(received) } else { promise.fail(ChannelError.inputClosed) }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !completed {
            completed = true
            promise.fail(error)
        }
        context.close(promise: nil)
    }
}
