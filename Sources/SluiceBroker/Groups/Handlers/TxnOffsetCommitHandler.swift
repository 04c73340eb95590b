import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceSecurity

/// TxnOffsetCommit (key 28), versions 0-4: sent to the group coordinator by a transactional
/// producer (`send_offsets_to_transaction`) after AddOffsetsToTxn.
///
/// - The offsets are written to `__consumer_offsets` in a transactional batch of the producer and
///   stay pending until the transaction's marker reaches that partition: COMMIT makes them the
///   group's committed offsets, ABORT drops them (OffsetFetch shows them only then).
///   v2: committed leader epochs. v3: flexible; the member id, generation and group instance id,
///   checked as an OffsetCommit's (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID);
///   PRODUCER_FENCED instead of INVALID_PRODUCER_EPOCH. v4: TRANSACTION_ABORTABLE, not answered.
/// - The producer's epoch is checked by the log: a fenced producer's commit gets
///   INVALID_PRODUCER_EPOCH (PRODUCER_FENCED from v3).
/// - Authorization: WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), READ
///   on the group (GROUP_AUTHORIZATION_FAILED), READ on each topic (TOPIC_AUTHORIZATION_FAILED).
///   Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION.
struct TxnOffsetCommitHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...4
    let services: BrokerServices

    func handle(_ request: TxnOffsetCommitRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<TxnOffsetCommitResponse>> {
        let version = context.apiVersion
        func all(_ error: ErrorCode) -> EventLoopFuture<HandlerReply<TxnOffsetCommitResponse>> {
            reply(Self.response(request) { _ in error }, context)
        }
        guard services.authorize(context, .write, .transactionalId(request.transactionalId)) else {
            return all(.transactionalIdAuthorizationFailed)
        }
        guard services.authorize(context, .read, .group(request.groupId)) else { return all(.groupAuthorizationFailed) }
        var refused: [TopicPartition: ErrorCode] = [:]
        var entries: [OffsetCommitEntry] = []
        for topic in request.topics {
            let allowed = services.authorize(context, .read, topic: topic.name)
            for p in topic.partitions {
                let tp = TopicPartition(topic.name, p.partitionIndex)
                if !allowed {
                    refused[tp] = .topicAuthorizationFailed
                } else if !services.partitionExists(tp) {
                    refused[tp] = .unknownTopicOrPartition
                } else {
                    entries.append(OffsetCommitEntry(tp, offset: p.committedOffset,
                                                     leaderEpoch: version >= 2 ? p.committedLeaderEpoch : -1,
                                                     metadata: p.committedMetadata, commitTimestamp: nil))
                }
            }
        }
        guard !entries.isEmpty else { return reply(Self.response(request) { refused[$0] ?? .unknownServerError }, context) }
        let input = TxnOffsetCommitInput(groupId: request.groupId, producerId: request.producerId,
                                         producerEpoch: request.producerEpoch,
                                         generationId: version >= 3 ? request.generationId : -1,
                                         memberId: version >= 3 ? request.memberId : "",
                                         groupInstanceId: version >= 3 ? request.groupInstanceId : nil, offsets: entries)
        let refusedUpFront = refused
        return services.groups.request({ .txnCommit($0, input) }, on: context.eventLoop).map { response in
            var errors = refusedUpFront
            if case let .commit(result) = response { errors.merge(result.errors) { a, _ in a } }
            return HandlerReply(Self.response(request) { tp in
                let error = errors[tp] ?? .unknownServerError
                // The log refuses a fenced producer's batch with INVALID_PRODUCER_EPOCH.
                if error == .invalidProducerEpoch && version >= 3 { return .producerFenced }
                return error
            })
        }
    }

    static func response(_ request: TxnOffsetCommitRequest, _ error: (TopicPartition) -> ErrorCode) -> TxnOffsetCommitResponse {
        TxnOffsetCommitResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map {
                .init(partitionIndex: $0.partitionIndex, errorCode: error(TopicPartition(topic.name, $0.partitionIndex)).rawValue)
            })
        })
    }
}
