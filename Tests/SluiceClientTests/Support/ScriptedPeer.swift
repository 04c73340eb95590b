import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SluiceBase
@testable import SluiceClient

/// A scripted Kafka peer for unit tests: a real TCP server on 127.0.0.1 that decodes request
/// frames and answers with whatever the test's `respond` closure returns (nil: no answer, as for
/// `acks=0`). It implements no broker logic of its own; each test scripts exactly the answers
/// it is about, so what is tested is the client's side of the exchange.
final class ScriptedPeer: Sendable {
    typealias Responder = @Sendable (ReceivedRequest) -> ByteBuffer?

    let channel: Channel
    let port: Int
    private let requests = NIOLockedValueBox<[ReceivedRequest]>([])

    init(respond: @escaping Responder) async throws {
        let log = requests
        let connections = NIOLockedValueBox(0)
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: 64 << 20)))
                    let number = connections.withLockedValue { n -> Int in
                        n += 1
                        return n
                    }
                    try child.pipeline.syncOperations.addHandler(PeerHandler(respond: respond, log: log, connection: number))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    var address: BrokerAddress { BrokerAddress(host: "127.0.0.1", port: port) }

    /// Every request received so far, in order.
    var received: [ReceivedRequest] { requests.withLockedValue { $0 } }

    func received(_ api: ApiKey) -> [ReceivedRequest] { received.filter { $0.apiKey == api } }

    func close() async {
        try? await channel.close()
    }

    /// A response frame (size prefix included) for `request`.
    static func answer<R: KafkaResponse>(_ body: R, to request: ReceivedRequest) -> ByteBuffer {
        let parts = KafkaFrame.response(body, version: request.apiVersion, correlationId: request.correlationId)
        var out = ByteBuffer()
        for part in parts {
            if case let .byteBuffer(b) = part { out.writeImmutableBuffer(b) }
        }
        return out
    }

    /// ApiVersions listing `ranges` (default: every API the client speaks, at the client's ranges).
    static func apiVersions(_ request: ReceivedRequest, ranges: [ApiKey: ClosedRange<Int16>] = ApiVersionTable.client) -> ByteBuffer {
        let keys = ranges.map { ApiVersionsResponse.ApiVersion(apiKey: $0.key.rawValue, minVersion: $0.value.lowerBound, maxVersion: $0.value.upperBound) }
        return answer(ApiVersionsResponse(errorCode: 0, apiKeys: keys.sorted { $0.apiKey < $1.apiKey }), to: request)
    }

    /// Metadata naming this peer as broker 1 and leader of every partition of `topics`.
    func metadata(_ request: ReceivedRequest, topics: [String: Int]) -> ByteBuffer {
        let brokers = [MetadataResponse.MetadataResponseBroker(nodeId: 1, host: "127.0.0.1", port: Int32(port), rack: nil)]
        let body = try? request.decodeBody(MetadataRequest.self)
        let wanted = body?.topics?.compactMap(\.name) ?? Array(topics.keys)
        let answered = wanted.map { name -> MetadataResponse.MetadataResponseTopic in
            guard let count = topics[name] else {
                return MetadataResponse.MetadataResponseTopic(errorCode: ErrorCode.unknownTopicOrPartition.rawValue, name: name)
            }
            let partitions = (0..<count).map {
                MetadataResponse.MetadataResponsePartition(errorCode: 0, partitionIndex: Int32($0), leaderId: 1, leaderEpoch: 0,
                                                           replicaNodes: [1], isrNodes: [1])
            }
            return MetadataResponse.MetadataResponseTopic(errorCode: 0, name: name, partitions: partitions)
        }
        return Self.answer(MetadataResponse(brokers: brokers, clusterId: "scripted", controllerId: 1, topics: answered), to: request)
    }
}

private final class PeerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let respond: ScriptedPeer.Responder
    let log: NIOLockedValueBox<[ReceivedRequest]>
    let connection: Int

    init(respond: @escaping ScriptedPeer.Responder, log: NIOLockedValueBox<[ReceivedRequest]>, connection: Int) {
        self.respond = respond
        self.log = log
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let raw = try? RequestFrame(frame: unwrapInboundIn(data)) else {
            context.close(promise: nil)
            return
        }
        let frame = ReceivedRequest(apiKey: raw.apiKey, apiVersion: raw.apiVersion, correlationId: raw.correlationId,
                                    body: raw.body.buffer, connection: connection)
        log.withLockedValue { $0.append(frame) }
        if let answer = respond(frame) {
            context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
        }
    }
}

extension ClientConfiguration {
    /// A configuration for tests: short timeouts and backoffs.
    static func test(_ peer: ScriptedPeer, retries: Int = 5) -> ClientConfiguration {
        ClientConfiguration(bootstrapServers: [peer.address], clientId: "test", connectTimeout: .seconds(5),
                            requestTimeout: .seconds(5),
                            retry: RetryPolicy(maxAttempts: retries, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50)))
    }
}

/// A request the peer received: its header fields and body bytes.
struct ReceivedRequest: Sendable {
    var apiKey: ApiKey?
    var apiVersion: Int16
    var correlationId: Int32
    var body: ByteBuffer
    /// Which of the peer's accepted connections it came on (1 for the first).
    var connection: Int = 0

    func decodeBody<R: KafkaRequest>(_ type: R.Type) throws -> R {
        var reader = WireReader(body)
        return try R(from: &reader, version: apiVersion)
    }
}
