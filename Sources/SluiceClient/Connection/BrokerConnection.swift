import Foundation
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SluiceBase
import SluiceSecurity

/// One TCP connection to a broker, with many requests in flight.
///
/// Connecting sends ApiVersions first; every later request goes out at the highest version both
/// sides support (``ApiVersionTable``). Requests may be sent from any task at once: the frames are
/// pipelined on the socket and the ``ResponseMatcher`` hands each answer to its caller in order.
/// A request that gets no answer within its timeout closes the connection (as Kafka's own client
/// does), failing everything else in flight with a retriable connection error.
public final class BrokerConnection: Sendable, CustomStringConvertible {
    /// The broker's node id, or nil for a bootstrap connection made before the id was known.
    public let nodeId: Int32?
    public let address: BrokerAddress
    /// What this connection's broker supports, from its ApiVersions answer.
    public let versions: ApiVersionTable

    private let channel: Channel
    private let clientId: String
    private let requestTimeout: Duration
    private let overdueThreshold: Duration
    private let health: BrokerHealth?
    private let correlationIds = NIOLockedValueBox<Int32>(0)
    /// Requests awaiting an answer: correlation id → when the request becomes overdue. Shared with
    /// the provisional connection used for ApiVersions, so its request counts too.
    private let inFlight: NIOLockedValueBox<[Int32: ContinuousClock.Instant]>

    private init(channel: Channel, nodeId: Int32?, address: BrokerAddress, versions: ApiVersionTable,
                 clientId: String, requestTimeout: Duration, overdueThreshold: Duration, health: BrokerHealth?,
                 inFlight: NIOLockedValueBox<[Int32: ContinuousClock.Instant]>) {
        self.channel = channel
        self.nodeId = nodeId
        self.address = address
        self.versions = versions
        self.clientId = clientId
        self.requestTimeout = requestTimeout
        self.overdueThreshold = overdueThreshold
        self.health = health
        self.inFlight = inFlight
    }

    /// How many requests await their answer (for choosing the least loaded broker).
    public var inFlightCount: Int { inFlight.withLockedValue { $0.count } }

    /// Whether a request has waited for its answer longer than the client's overdue threshold (plus
    /// its own long-poll wait): the broker may be hung, so requests that may go anywhere avoid it.
    public var hasOverdueRequest: Bool {
        let now = ContinuousClock.now
        return inFlight.withLockedValue { $0.values.contains { $0 <= now } }
    }

    public var description: String {
        nodeId.map { "broker \($0) at \(address)" } ?? "bootstrap server \(address)"
    }

    /// False once the socket is closed; the pool then opens a new connection.
    public var isActive: Bool { channel.isActive }

    /// Connects and negotiates versions.
    public static func connect(to address: BrokerAddress, nodeId: Int32?, configuration: ClientConfiguration,
                               group: EventLoopGroup) async throws -> BrokerConnection {
        try await connect(to: address, nodeId: nodeId, configuration: configuration, group: group, health: nil)
    }

    /// Connects and negotiates versions; `health`, when given, records requests and connects that
    /// time out (see ``BrokerHealth``).
    static func connect(to address: BrokerAddress, nodeId: Int32?, configuration: ClientConfiguration,
                        group: EventLoopGroup, health: BrokerHealth?) async throws -> BrokerConnection {
        let peer = nodeId.map { "broker \($0) at \(address)" } ?? "bootstrap server \(address)"
        let maxFrame = configuration.maxResponseSize
        let tls = configuration.security.tlsContext
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.nanoseconds(Int64(configuration.connectTimeout.nanoseconds)))
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: tls, serverHostname: TLSClientSettings.serverHostname(for: address.host)))
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrame)))
                        try channel.pipeline.syncOperations.addHandler(ResponseMatcher(peer: peer))
                    }
                }
                .connect(host: address.host, port: address.port).get()
        } catch {
            if case ChannelError.connectTimeout? = error as? ChannelError { health?.recordTimeout(address) }
            throw KafkaClientError(.connection, Self.reason(error), resource: peer)
        }
        let inFlight = NIOLockedValueBox<[Int32: ContinuousClock.Instant]>([:])
        let provisional = BrokerConnection(channel: channel, nodeId: nodeId, address: address,
                                           versions: ApiVersionTable(broker: [.apiVersions: 0...0]),
                                           clientId: configuration.clientId, requestTimeout: configuration.requestTimeout,
                                           overdueThreshold: configuration.overdueRequestThreshold, health: health,
                                           inFlight: inFlight)
        do {
            let table = try await provisional.negotiateVersions()
            if let sasl = configuration.security.sasl {
                try await provisional.authenticate(sasl, versions: table)
            }
            health?.recordAnswer(address)
            return BrokerConnection(channel: channel, nodeId: nodeId, address: address, versions: table,
                                    clientId: configuration.clientId, requestTimeout: configuration.requestTimeout,
                                    overdueThreshold: configuration.overdueRequestThreshold, health: health,
                                    inFlight: inFlight)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// A short reason for a failed connect, such as "connection refused".
    static func reason(_ error: Error) -> String {
        var underlying = error
        if let multi = error as? NIOConnectionError, let first = multi.connectionErrors.first {
            underlying = first.error
        } else if let multi = error as? NIOConnectionError, let dns = multi.dnsAError ?? multi.dnsAAAAError {
            return "cannot resolve the host: \(dns)"
        }
        if let io = underlying as? IOError {
            return String(cString: strerror(io.errnoCode)).lowercased()
        }
        if underlying is ChannelError, case ChannelError.connectTimeout = underlying { return "connect timed out" }
        return "\(underlying)"
    }

    /// ApiVersions v3, or the broker's own maximum (v0 layout answer) when it refuses v3.
    private func negotiateVersions() async throws -> ApiVersionTable {
        var version: Int16 = 3
        for _ in 0..<2 {
            let request = ApiVersionsRequest(clientSoftwareName: "sluice", clientSoftwareVersion: "0.1.0")
            let frame = try await roundTrip(request, version: version, timeout: requestTimeout)
            // An UNSUPPORTED_VERSION answer is in the v0 layout, whatever version was asked for.
            var reader = WireReader(frame)
            _ = try? ResponseHeader(from: &reader, version: 0)
            let code = ErrorCode(reader.buffer.getInteger(at: reader.buffer.readerIndex, as: Int16.self) ?? 0)
            let decodeVersion: Int16 = code == .unsupportedVersion ? 0 : version
            let response = try decode(ApiVersionsResponse.self, frame: frame, version: decodeVersion)
            if code == .unsupportedVersion {
                let theirs = response.apiKeys.first { $0.apiKey == ApiKey.apiVersions.rawValue }
                let next = min(theirs?.maxVersion ?? 0, version - 1)
                guard next >= 0, next < version else { break }
                version = next
                continue
            }
            try code.check(resource: description)
            return ApiVersionTable(response: response)
        }
        throw KafkaClientError(.unsupportedVersion(.apiVersions), "no ApiVersions version in common", resource: description)
    }

    /// SaslHandshake v1 and SaslAuthenticate rounds (ApiVersions is the only request a SASL
    /// listener serves before). A refused mechanism or credential is the broker's error code:
    /// UNSUPPORTED_SASL_MECHANISM (33) or SASL_AUTHENTICATION_FAILED (58), not retriable.
    private func authenticate(_ credentials: SaslCredentials, versions table: ApiVersionTable) async throws {
        guard var mechanism = SaslClientMechanism(mechanism: credentials.mechanism, username: credentials.username,
                                                  password: credentials.password) else {
            throw KafkaClientError(.invalidArgument, "SASL mechanism \(credentials.mechanism) is not supported", resource: description)
        }
        guard let handshakeVersion = table.version(for: .saslHandshake), handshakeVersion >= 1,
              let authenticateVersion = table.version(for: .saslAuthenticate) else {
            throw KafkaClientError(.unsupportedVersion(.saslAuthenticate), "the broker offers no SASL (is the listener SASL_SSL or SASL_PLAINTEXT?)",
                                   resource: description)
        }
        let handshake = try decode(SaslHandshakeResponse.self,
                                   frame: try await roundTrip(SaslHandshakeRequest(mechanism: mechanism.name), version: handshakeVersion,
                                                              timeout: requestTimeout),
                                   version: handshakeVersion)
        try ErrorCode(handshake.errorCode).check(
            resource: description, message: "SASL mechanism \(mechanism.name) is not enabled (enabled: \(handshake.mechanisms.joined(separator: ", ")))")
        var token: [UInt8]? = mechanism.start()
        while let next = token {
            let frame = try await roundTrip(SaslAuthenticateRequest(authBytes: ByteBuffer(bytes: next)), version: authenticateVersion,
                                            timeout: requestTimeout)
            let answer = try decode(SaslAuthenticateResponse.self, frame: frame, version: authenticateVersion)
            try ErrorCode(answer.errorCode).check(resource: description, message: answer.errorMessage)
            do {
                token = try mechanism.next(Array(answer.authBytes.readableBytesView))
            } catch {
                throw KafkaClientError(.broker(.saslAuthenticationFailed), "\(error)", resource: description)
            }
        }
    }

    /// The version this connection uses for `api`, or nil when the broker does not support it.
    public func version(for api: ApiKey) -> Int16? { versions.version(for: api) }

    /// Sends `request` at the negotiated version and waits for its answer.
    public func send<R: KafkaRequest>(_ request: R, timeout: Duration? = nil) async throws -> R.Response {
        let version = try versions.requireVersion(for: R.apiKey, broker: description)
        return try await send(request, version: version, timeout: timeout)
    }

    /// Sends `request` at an explicit `version` (callers that shape the request by version).
    public func send<R: KafkaRequest>(_ request: R, version: Int16, timeout: Duration? = nil) async throws -> R.Response {
        let frame = try await roundTrip(request, version: version, timeout: timeout ?? requestTimeout)
        return try decode(R.Response.self, frame: frame, version: version)
    }

    /// Sends a request that gets no answer (produce with `acks=0`); returns once it is written.
    public func sendWithoutResponse<R: KafkaRequest>(_ request: R, version: Int16) async throws {
        let id = nextCorrelationId()
        let frame = KafkaFrame.request(request, version: version, correlationId: id, clientId: clientId,
                                       allocator: channel.allocator)
        do {
            try await channel.writeAndFlush(OutgoingRequest(frame: frame, correlationId: id, response: nil)).get()
        } catch let error as KafkaClientError {
            throw error
        } catch {
            throw KafkaClientError(.connection, "write failed: \(error)", resource: description)
        }
    }

    /// Closes the socket; requests in flight fail with a connection error.
    public func close() {
        channel.close(promise: nil)
    }

    private func nextCorrelationId() -> Int32 {
        correlationIds.withLockedValue { value in
            value = value == Int32.max ? 0 : value + 1
            return value
        }
    }

    /// An answer on its way: the request is already written (in call order), the caller awaits
    /// the answer later. Lets one task put several requests on the wire in a fixed order and
    /// wait for them elsewhere.
    public struct PendingResponse<Response: KafkaResponse>: Sendable {
        fileprivate let connection: BrokerConnection
        fileprivate let frame: EventLoopFuture<ByteBuffer>
        fileprivate let version: Int16

        public func get() async throws -> Response {
            let bytes = try await frame.get()
            return try connection.decode(Response.self, frame: bytes, version: version)
        }
    }

    /// Writes `request` now and returns a handle to await its answer.
    public func start<R: KafkaRequest>(_ request: R, version: Int16, timeout: Duration? = nil) -> PendingResponse<R.Response> {
        PendingResponse(connection: self, frame: write(request, version: version, timeout: timeout ?? requestTimeout),
                        version: version)
    }

    private func write<R: KafkaRequest>(_ request: R, version: Int16, timeout: Duration) -> EventLoopFuture<ByteBuffer> {
        let id = nextCorrelationId()
        let frame = KafkaFrame.request(request, version: version, correlationId: id, clientId: clientId,
                                       allocator: channel.allocator)
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        // A long-poll request (fetch) asks for more than the request timeout: it is overdue only
        // after its own wait plus the threshold.
        let longPoll = timeout > requestTimeout ? timeout - requestTimeout : .zero
        let overdueAt = ContinuousClock.now + overdueThreshold + longPoll
        inFlight.withLockedValue { $0[id] = overdueAt }
        channel.writeAndFlush(OutgoingRequest(frame: frame, correlationId: id, response: promise), promise: nil)
        let channel = self.channel
        let name = description
        let health = self.health
        let address = self.address
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.nanoseconds))) {
            health?.recordTimeout(address)
            promise.fail(KafkaClientError(.timeout, "no answer to \(R.apiKey.name) within \(timeout)", resource: name))
            channel.close(promise: nil)
        }
        let inFlight = self.inFlight
        promise.futureResult.whenComplete { _ in
            timer.cancel()
            inFlight.withLockedValue { _ = $0.removeValue(forKey: id) }
        }
        return promise.futureResult
    }

    private func roundTrip<R: KafkaRequest>(_ request: R, version: Int16, timeout: Duration) async throws -> ByteBuffer {
        let future = write(request, version: version, timeout: timeout)
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        promise.completeWith(future)
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    fileprivate func decode<T: KafkaResponse>(_ type: T.Type, frame: ByteBuffer, version: Int16) throws -> T {
        do {
            return try KafkaFrame.decodeResponse(type, from: frame, version: version).body
        } catch {
            throw KafkaClientError(.protocolViolation, "could not decode \(T.apiKey.name) v\(version): \(error)",
                                   resource: description)
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product &+ attoseconds / 1_000_000_000
    }
}
