import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SluiceBase
import SluiceSecurity

/// A client connection to another node (its controller listener, or a broker listener): sends
/// Kafka requests and matches responses, which a Kafka server returns in request order.
///
/// Usable by anything that talks to a peer: the Raft transport, broker registration and
/// heartbeats, forwarding to the controller, follower fetching. A connection that fails fails
/// every pending request (`PeerConnectionError`) and is not reused; ``PeerConnectionPool`` makes a
/// new one on the next send.
final class PeerConnection: Sendable {
    let address: BrokerAddress
    private let channel: any Channel
    private let handler: NIOLoopBound<ResponseMatcher>

    private init(address: BrokerAddress, channel: any Channel, handler: ResponseMatcher) {
        self.address = address
        self.channel = channel
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }

    /// Connects (failing after `timeout`): TLS first when `security` says so, then the SASL
    /// exchange as this broker's own user, before the connection is handed out.
    static func connect(to address: BrokerAddress, group: any EventLoopGroup, security: PeerTransportSecurity = .plaintext,
                        timeout: TimeAmount = .seconds(2)) -> EventLoopFuture<PeerConnection> {
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls = security.tlsContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: TLSClientSettings.serverHostname(for: address.host)))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: 256 << 20)))
                    try channel.pipeline.syncOperations.addHandler(ResponseMatcher())
                }
            }
        let connected = bootstrap.connect(host: address.host, port: address.port).flatMapThrowing { channel in
            let matcher = try channel.pipeline.syncOperations.handler(type: ResponseMatcher.self)
            return PeerConnection(address: address, channel: channel, handler: matcher)
        }
        guard let sasl = security.sasl else { return connected }
        return connected.flatMap { connection in
            connection.authenticate(sasl, timeout: max(timeout, .seconds(10))).map { connection }.flatMapErrorThrowing { error in
                connection.close()
                throw error
            }
        }
    }

    /// SaslHandshake v1, then SaslAuthenticate v2 rounds until the mechanism is done.
    private func authenticate(_ credentials: PeerTransportSecurity.Sasl, timeout: TimeAmount) -> EventLoopFuture<Void> {
        guard var mechanism = SaslClientMechanism(mechanism: credentials.mechanism, username: credentials.username,
                                                  password: credentials.password) else {
            return eventLoop.makeFailedFuture(PeerConnectionError("SASL mechanism \(credentials.mechanism) is not supported"))
        }
        let address = self.address
        let handshake = SaslHandshakeRequest(mechanism: mechanism.name)
        return send(handshake, version: 1, correlationId: 1, clientId: "sluice-sasl", timeout: timeout).flatMap { response in
            guard response.errorCode == 0 else {
                return self.eventLoop.makeFailedFuture(PeerConnectionError(
                    "\(address) refused SASL mechanism \(mechanism.name): \(ErrorCode(response.errorCode)) (enabled: \(response.mechanisms.joined(separator: ",")))"))
            }
            let first = mechanism.start()
            let loop = self.eventLoop
            func round(_ token: [UInt8], correlationId: Int32) -> EventLoopFuture<Void> {
                self.send(SaslAuthenticateRequest(authBytes: ByteBuffer(bytes: token)), version: 2, correlationId: correlationId,
                          clientId: "sluice-sasl", timeout: timeout).flatMap { answer in
                    guard answer.errorCode == 0 else {
                        return loop.makeFailedFuture(PeerConnectionError(
                            "\(address) refused this broker's SASL credentials: \(ErrorCode(answer.errorCode)) \(answer.errorMessage ?? "")"))
                    }
                    do {
                        guard let next = try mechanism.next(Array(answer.authBytes.readableBytesView)) else {
                            return loop.makeSucceededVoidFuture()
                        }
                        return round(next, correlationId: correlationId + 1)
                    } catch {
                        return loop.makeFailedFuture(PeerConnectionError("SASL with \(address): \(error)"))
                    }
                }
            }
            return round(first, correlationId: 2)
        }
    }

    var isActive: Bool { channel.isActive }

    /// Completes when the connection closes.
    var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    var eventLoop: any EventLoop { channel.eventLoop }

    /// Sends `request` and completes with its decoded response, or fails when the connection
    /// breaks or nothing comes back within `timeout` (the connection is then closed: later
    /// responses on it could no longer be matched).
    func send<R: KafkaRequest>(_ request: R, version: Int16, correlationId: Int32, clientId: String,
                               timeout: TimeAmount) -> EventLoopFuture<R.Response> {
        let frame = KafkaFrame.request(request, version: version, correlationId: correlationId, clientId: clientId)
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let loop = channel.eventLoop
        let channel = self.channel
        let handler = self.handler
        loop.execute {
            handler.value.expect(promise)
            channel.writeAndFlush(frame).whenFailure { promise.fail($0) }
        }
        let timer = loop.scheduleTask(in: timeout) {
            promise.fail(PeerConnectionError("\(R.apiKey) to \(self.address) timed out"))
            channel.close(promise: nil)
        }
        return promise.futureResult.always { _ in timer.cancel() }.flatMapThrowing { frame in
            let (correlation, body) = try KafkaFrame.decodeResponse(R.Response.self, from: frame, version: version)
            guard correlation == correlationId else {
                channel.close(promise: nil)
                throw PeerConnectionError("\(self.address) answered correlation id \(correlation), expected \(correlationId)")
            }
            return body
        }
    }

    func close() { channel.close(promise: nil) }
}

/// How a broker connects to a peer listener: a TLS context (built from the listener's trust
/// store and key store) and SASL as this broker's own user. Built once, off the event loops.
struct PeerTransportSecurity: Sendable {
    struct Sasl: Sendable {
        var mechanism: String
        var username: String
        var password: String
    }

    var tlsContext: NIOSSLContext?
    var sasl: Sasl?

    static let plaintext = PeerTransportSecurity(tlsContext: nil, sasl: nil)

    /// Reads the TLS files (blocking).
    init(_ settings: PeerSecurity) throws {
        tlsContext = try settings.tls.map { try $0.makeContext() }
        if settings.securityProtocol.usesSASL, let mechanism = settings.saslMechanism, let username = settings.username,
           let password = settings.password {
            sasl = Sasl(mechanism: mechanism, username: username, password: password)
        }
    }

    init(tlsContext: NIOSSLContext?, sasl: Sasl?) {
        self.tlsContext = tlsContext
        self.sasl = sasl
    }
}

/// A request to a peer failed: no connection, a broken one, a timeout or a mismatched answer.
struct PeerConnectionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Hands each response frame to the oldest waiting request; fails them all when the
/// connection closes.
private final class ResponseMatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private var waiting = CircularBuffer<EventLoopPromise<ByteBuffer>>()
    private var closed = false

    func expect(_ promise: EventLoopPromise<ByteBuffer>) {
        if closed {
            promise.fail(PeerConnectionError("connection closed"))
        } else {
            waiting.append(promise)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let promise = waiting.popFirst() else {
            context.close(promise: nil)
            return
        }
        promise.succeed(frame)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        while let promise = waiting.popFirst() { promise.fail(PeerConnectionError("connection closed")) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
