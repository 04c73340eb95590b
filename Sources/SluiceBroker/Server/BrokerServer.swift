import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// The TCP listener: one pipeline per connection — on TLS listeners `NIOSSLServerHandler` with
/// the listener's current context, then `KafkaFrameDecoder` and ``ConnectionHandler`` with the
/// connection's ``ConnectionSession`` (its principal, its SASL exchange).
final class BrokerServer: Sendable {
    private let group: any EventLoopGroup
    private let registry: HandlerRegistry
    private let logger: Logger
    private let maxFrameSize: Int
    let listener: ListenerRuntime
    /// Request counts and times per API (client listener; nil on the controller listener).
    private let metrics: BrokerMetrics?
    private let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    private let serverChannel = NIOLockedValueBox<(any Channel)?>(nil)

    init(group: any EventLoopGroup, registry: HandlerRegistry, maxFrameSize: Int, listener: ListenerRuntime = .plaintext,
         metrics: BrokerMetrics? = nil, logger: Logger) {
        self.metrics = metrics
        self.group = group
        self.listener = listener
        self.registry = registry
        self.maxFrameSize = maxFrameSize
        self.logger = logger
    }

    /// The connections open now.
    var connectionCount: Int { connections.withLockedValue { $0.count } }

    /// Binds and starts accepting; returns the bound address (port 0 picks a free port).
    func start(host: String, port: Int) async throws -> SocketAddress {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 * 1024, maximum: 1024 * 1024))
            .childChannelInitializer { [registry, maxFrameSize, logger, connections, listener, metrics] channel in
                let id = ObjectIdentifier(channel)
                connections.withLockedValue { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in
                    _ = connections.withLockedValue { $0.removeValue(forKey: id) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls = listener.tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.current))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrameSize)))
                    let session = listener.makeSession(eventLoop: channel.eventLoop)
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionHandler(registry: registry, session: session, listener: listener, metrics: metrics, logger: logger))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        serverChannel.withLockedValue { $0 = channel }
        guard let address = channel.localAddress else { throw BrokerConfigError("the listener has no address") }
        return address
    }

    /// Stops accepting, lets every connection answer what it has received, then closes them
    /// (forcibly after `gracePeriod`).
    func shutdown(gracePeriod: TimeAmount = .seconds(5)) async {
        if let channel = serverChannel.withLockedValue({ $0 }) {
            try? await channel.close()
        }
        let open = connections.withLockedValue { Array($0.values) }
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ConnectionHandler.DrainEvent())
        }
        let started = NIODeadline.now()
        let deadline = started + gracePeriod
        var slow = 0
        for channel in open {
            let remaining = deadline - .now()
            let closed = channel.closeFuture
            let timeout = channel.eventLoop.scheduleTask(in: max(remaining, .zero)) { channel.close(promise: nil) }
            try? await closed.get()
            timeout.cancel()
            if NIODeadline.now() - started > .milliseconds(500) { slow += 1 }
        }
        // Which requests hold a shutdown is otherwise invisible.
        if slow > 0 {
            logger.info("draining \(open.count) connections took \((NIODeadline.now() - started).nanoseconds / 1_000_000) ms: \(slow) still had requests in flight after 500 ms")
        }
    }
}
