import KafkaProtocol
import NIOCore
import SluiceRaft

// The Raft quorum's APIs on the controller listener: each request becomes a core message for
// the driver, and the core's answer goes back in Kafka's layout (see `RaftWire`). A request the
// core never answers (it should not happen) fails after 5 s and closes the connection.

/// Vote (52), versions 0-1; a pre-vote is the Sluice tagged field `RaftWire.preVoteTag`.
struct VoteHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: ControllerServices

    func handle(_ request: VoteRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<VoteResponse>> {
        quorumCall(services, context) { try RaftWire.message(request) } answer: { message in
            guard case .voteResponse(let m) = message else { return nil }
            return RaftWire.response(m)
        }
    }
}

/// BeginQuorumEpoch (53), versions 0-1.
struct BeginQuorumEpochHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: ControllerServices

    func handle(_ request: BeginQuorumEpochRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<BeginQuorumEpochResponse>> {
        quorumCall(services, context) { try RaftWire.message(request) } answer: { message in
            guard case .beginQuorumEpochResponse(let m) = message else { return nil }
            return RaftWire.response(m)
        }
    }
}

/// EndQuorumEpoch (54), versions 0-1 (v0 `PreferredSuccessors`, v1 `PreferredCandidates`).
struct EndQuorumEpochHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: ControllerServices

    func handle(_ request: EndQuorumEpochRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<EndQuorumEpochResponse>> {
        let version = context.apiVersion
        return quorumCall(services, context) { try RaftWire.message(request, version: version) } answer: { message in
            guard case .endQuorumEpochResponse(let m) = message else { return nil }
            return RaftWire.response(m)
        }
    }
}

/// Fetch (1) on the controller listener, versions 13-17: only `__cluster_metadata`-0, from
/// voters and observers (replica id = the fetching node); the long poll is the core's.
struct MetadataFetchHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 13...17
    let services: ControllerServices

    func handle(_ request: FetchRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<FetchResponse>> {
        let tickMs = services.driver.tickMs
        return quorumCall(services, context) { try RaftWire.message(request, tickMs: tickMs) } answer: { message in
            guard case .fetchResponse(let m) = message else { return nil }
            return RaftWire.response(m)
        }
    }
}

/// FetchSnapshot (59), versions 0-1.
struct FetchSnapshotHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: ControllerServices

    func handle(_ request: FetchSnapshotRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<FetchSnapshotResponse>> {
        quorumCall(services, context) { try RaftWire.message(request) } answer: { message in
            guard case .fetchSnapshotResponse(let m) = message else { return nil }
            return RaftWire.response(m)
        }
    }
}

/// DescribeQuorum (55), versions 0-2, for tools: this node's view of the quorum (leader, epoch,
/// high watermark, voters; log end offsets are known only for this node, -1 for the others).
struct DescribeQuorumHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...2
    let services: ControllerServices

    func handle(_ request: DescribeQuorumRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DescribeQuorumResponse>> {
        // Read on the Raft queue: its lock is held across fsyncs, which an event loop must not wait for.
        let status = services.driver.status(on: context.eventLoop)
        let voters = services.voters
        let version = context.apiVersion
        return status.map { status in
            var partition = DescribeQuorumResponse.PartitionData()
            partition.partitionIndex = 0
            partition.errorMessage = nil
            partition.leaderId = status.leaderID ?? -1
            partition.leaderEpoch = status.epoch
            partition.highWatermark = status.highWatermark
            partition.currentVoters = status.voters.ids.map { id in
                var replica = DescribeQuorumResponse.ReplicaState()
                replica.replicaId = id
                replica.logEndOffset = id == status.nodeID ? status.logEndOffset : -1
                return replica
            }
            var response = DescribeQuorumResponse()
            response.errorMessage = nil
            response.topics = [.init(topicName: RaftWire.topicName, partitions: [partition])]
            if version >= 2 {
                response.nodes = voters.sorted { $0.key < $1.key }.map { id, address in
                    .init(nodeId: id, listeners: [.init(name: "CONTROLLER", host: address.host, port: UInt16(clamping: address.port))])
                }
            }
            return HandlerReply(response)
        }
    }
}

/// Steps a decoded quorum request into the driver and maps the core's answer.
private func quorumCall<Response: KafkaResponse>(
    _ services: ControllerServices, _ context: RequestContext,
    decode: () throws -> (source: Int32, RaftMessage),
    answer: @escaping @Sendable (RaftMessage) -> Response?
) -> EventLoopFuture<HandlerReply<Response>> {
    let decoded: (source: Int32, RaftMessage)
    do {
        decoded = try decode()
    } catch {
        return context.eventLoop.makeFailedFuture(RequestRejection(description: "\(error)"))
    }
    return services.driver.receiveRequest(from: decoded.source, correlationID: context.header.correlationId, decoded.1,
                                          on: context.eventLoop).flatMapThrowing { message in
        guard let response = answer(message) else {
            throw RequestRejection(description: "the quorum answered \(message) to a \(Response.apiKey) request")
        }
        return HandlerReply(response)
    }
}
