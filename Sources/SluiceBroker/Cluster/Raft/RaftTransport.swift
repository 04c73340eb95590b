import KafkaProtocol
import Logging
import NIOCore
import SluiceBase
import SluiceRaft

/// Carries the core's requests to the other voters over their controller listeners (Kafka's
/// own APIs, see ``RaftWire``) and turns the answers back into envelopes for the core.
///
/// A lost request is simply dropped: the core times out and retries. Responses to requests
/// *received* from peers do not come through here: the driver completes the handler's promise.
final class RaftTransport: Sendable {
    let nodeID: Int32
    /// Controller-listener addresses of the voters (`controller.quorum.voters`).
    let voters: [Int32: BrokerAddress]
    private let pool: PeerConnectionPool
    private let tickMs: Int
    private let requestTimeout: TimeAmount
    private let logger: Logger

    init(nodeID: Int32, voters: [Int32: BrokerAddress], pool: PeerConnectionPool, tickMs: Int,
         requestTimeoutMs: Int, logger: Logger) {
        self.nodeID = nodeID
        self.voters = voters
        self.pool = pool
        self.tickMs = tickMs
        self.requestTimeout = .milliseconds(Int64(requestTimeoutMs))
        self.logger = logger
    }

    /// Sends one request envelope; `onResponse` gets the answer as an envelope addressed to us.
    func send(_ envelope: RaftEnvelope, onResponse: @escaping @Sendable (RaftEnvelope) -> Void) {
        guard let address = voters[envelope.destination] else {
            logger.debug("no address for node \(envelope.destination); dropping \(envelope)")
            return
        }
        let id = envelope.correlationID
        let future: EventLoopFuture<RaftMessage>
        switch envelope.message {
        case .voteRequest(let m):
            future = pool.send(RaftWire.request(m, clusterId: nil), version: RaftWire.voteVersion, to: address,
                               lane: .raftControl, correlationId: id, timeout: requestTimeout)
                .flatMapThrowing(RaftWire.message)
        case .beginQuorumEpochRequest(let m):
            future = pool.send(RaftWire.request(m, clusterId: nil), version: RaftWire.beginQuorumEpochVersion, to: address,
                               lane: .raftControl, correlationId: id, timeout: requestTimeout)
                .flatMapThrowing(RaftWire.message)
        case .endQuorumEpochRequest(let m):
            future = pool.send(RaftWire.request(m, clusterId: nil), version: RaftWire.endQuorumEpochVersion, to: address,
                               lane: .raftControl, correlationId: id, timeout: requestTimeout)
                .flatMapThrowing(RaftWire.message)
        case .fetchRequest(let m):
            // The long poll may legitimately take `maxWait`: allow that on top of the timeout.
            let wait = TimeAmount.milliseconds(Int64(Int(m.maxWaitTicks) * tickMs))
            future = pool.send(RaftWire.request(m, clusterId: nil, tickMs: tickMs), version: RaftWire.fetchVersion,
                               to: address, lane: .raftFetch, correlationId: id, timeout: requestTimeout + wait)
                .flatMapThrowing(RaftWire.message)
        case .fetchSnapshotRequest(let m):
            future = pool.send(RaftWire.request(m, clusterId: nil), version: RaftWire.fetchSnapshotVersion, to: address,
                               lane: .raftFetch, correlationId: id, timeout: requestTimeout)
                .flatMapThrowing(RaftWire.message)
        default:
            return
        }
        let source = envelope.destination
        let nodeID = self.nodeID
        let logger = self.logger
        future.whenComplete { result in
            switch result {
            case .success(let message):
                onResponse(RaftEnvelope(source: source, destination: nodeID, correlationID: id, message: message))
            case .failure(let error):
                logger.trace("request to node \(source) failed: \(error)")
            }
        }
    }
}
