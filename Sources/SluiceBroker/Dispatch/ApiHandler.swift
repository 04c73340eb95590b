import KafkaProtocol
import NIOCore
import SluiceSecurity

/// What a handler knows about the request it serves besides the body.
public struct RequestContext: Sendable {
    public var header: RequestHeader
    public var apiVersion: Int16 { header.requestApiVersion }
    /// The connection's event loop: handlers complete their futures here.
    public var eventLoop: any EventLoop
    public var clientAddress: String
    /// Who sent the request: the connection's authenticated principal (`User:ANONYMOUS` on a
    /// PLAINTEXT listener), what authorization checks.
    public var principal: KafkaPrincipal
    /// The listener the request came in on, and its security protocol.
    public var listenerName: String
    public var securityProtocol: SecurityProtocol
    /// The connection's security state (the SASL handlers drive it); nil in tests that call
    /// handlers directly.
    var session: ConnectionSession?
    /// Completes when the request's connection closes (nil for requests that came through no
    /// connection: the local controller registry, tests calling handlers directly). The
    /// controller watches heartbeat connections with it.
    var connectionClosed: EventLoopFuture<Void>?
    /// The request's size on the wire (its frame), what a produce quota counts (Kafka's
    /// `request.sizeInBytes`); 0 for requests that came through no connection.
    var requestSize = 0

    public init(header: RequestHeader, eventLoop: any EventLoop, clientAddress: String,
                principal: KafkaPrincipal = .anonymous, listenerName: String = "PLAINTEXT",
                securityProtocol: SecurityProtocol = .plaintext) {
        self.header = header
        self.eventLoop = eventLoop
        self.clientAddress = clientAddress
        self.principal = principal
        self.listenerName = listenerName
        self.securityProtocol = securityProtocol
    }
}

/// A handler's answer: a response, or none (produce with `acks=0`), and what to do once the
/// response is written (release the file handles of a zero-copy fetch).
public struct HandlerReply<Response: KafkaResponse>: Sendable {
    public var response: Response?
    public var onWritten: (@Sendable () -> Void)?
    /// A client over its quota: the connection reads no further request for this long after the
    /// response is written (Kafka mutes the channel), so a client that ignores the response's
    /// `throttle_time_ms` is held too.
    public var muteMs: Int64 = 0

    public init(_ response: Response?, onWritten: (@Sendable () -> Void)? = nil, muteMs: Int64 = 0) {
        self.response = response
        self.onWritten = onWritten
        self.muteMs = muteMs
    }

    public static var noResponse: HandlerReply { HandlerReply(nil) }
}

/// The server side of one API key. Each lives in `Handlers/<Name>Handler.swift` with a header
/// saying which versions it supports and how they differ; ``HandlerRegistry`` collects them and
/// is the single source of the ApiVersions response.
public protocol ApiHandler: Sendable {
    associatedtype Request: KafkaRequest
    /// The versions this handler fully implements (what ApiVersions advertises).
    static var versions: ClosedRange<Int16> { get }
    /// Called on the connection's event loop in request order; must not block. Blocking work
    /// goes to the I/O pool, and the future completes on `context.eventLoop`.
    func handle(_ request: Request, context: RequestContext) -> EventLoopFuture<HandlerReply<Request.Response>>
}

extension ApiHandler {
    public static var apiKey: ApiKey { Request.apiKey }

    /// A reply available at once.
    func reply(_ response: Request.Response, _ context: RequestContext) -> EventLoopFuture<HandlerReply<Request.Response>> {
        context.eventLoop.makeSucceededFuture(HandlerReply(response))
    }
}
