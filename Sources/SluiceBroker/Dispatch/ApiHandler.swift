import KafkaProtocol
import NIOCore

/// What a handler knows about the request it serves besides the body.
public struct RequestContext: Sendable {
    public var header: RequestHeader
    public var apiVersion: Int16 { header.requestApiVersion }
    /// The connection's event loop: handlers complete their futures here.
    public var eventLoop: any EventLoop
    public var clientAddress: String

    public init(header: RequestHeader, eventLoop: any EventLoop, clientAddress: String) {
        self.header = header
        self.eventLoop = eventLoop
        self.clientAddress = clientAddress
    }
}

/// A handler's answer: a response, or none (produce with `acks=0`), and what to do once the
/// response is written (release the file handles of a zero-copy fetch).
public struct HandlerReply<Response: KafkaResponse>: Sendable {
    public var response: Response?
    public var onWritten: (@Sendable () -> Void)?

    public init(_ response: Response?, onWritten: (@Sendable () -> Void)? = nil) {
        self.response = response
        self.onWritten = onWritten
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
