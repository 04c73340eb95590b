import KafkaProtocol
import SluiceSecurity
import NIOCore
import SluiceBase
import SluiceStorage

/// OffsetFetch (key 9), versions 0-9.
///
/// - v0-1: the partitions asked for, errors per partition (a group-level error is repeated on
///   each). v2: a null topic list asks for every committed offset; a group-level error field.
///   v3-4: throttle time. v5: committed leader epochs. v6: flexible. v7: `require_stable`: a
///   partition with a transactional offset commit still pending (TxnOffsetCommit before its
///   transaction's marker) gets UNSTABLE_OFFSET_COMMIT, which the consumer retries; without it
///   the last committed offset. v8: several groups in one request
///   (KIP-709). v9: member id and epoch, ignored for classic groups and checked for consumer
///   groups (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH, FENCED_MEMBER_EPOCH as the group's error).
/// - A partition without a committed offset gets offset -1, metadata "" and no error. Lag tools
///   pair these offsets with ListOffsets' end offsets.
struct OffsetFetchHandler: ApiHandler {
    let coordinator: GroupCoordinator
    /// Authorization (Kafka's checks on this API).
    var access = RequestAuthorization.allowAll
    static let versions: ClosedRange<Int16> = 0...9

    func handle(_ request: OffsetFetchRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<OffsetFetchResponse>> {
        let version = context.apiVersion
        var response = handle(request, version: version)
        // DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED), DESCRIBE on each topic: a topic asked
        // for by name answers TOPIC_AUTHORIZATION_FAILED, one listed as "all" is left out.
        let visible: (String) -> Bool = { access(context, .describe, .topic($0)) }
        if version >= 8 {
            for (index, group) in request.groups.enumerated() where index < response.groups.count {
                if !access(context, .describe, .group(group.groupId)) {
                    response.groups[index] = .init(groupId: group.groupId, topics: [],
                                                   errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
                } else {
                    response.groups[index].topics = Self.restrict(response.groups[index].topics, all: group.topics == nil,
                                                                  visible: visible)
                }
            }
            return reply(response, context)
        }
        guard access(context, .describe, .group(request.groupId)) else {
            let code = ErrorCode.groupAuthorizationFailed.rawValue
            if version >= 2 { return reply(OffsetFetchResponse(topics: [], errorCode: code), context) }
            return reply(OffsetFetchResponse(topics: (request.topics ?? []).map { topic in
                .init(name: topic.name, partitions: topic.partitionIndexes.map {
                    .init(partitionIndex: $0, committedOffset: -1, committedLeaderEpoch: -1, metadata: "", errorCode: code)
                })
            }), context)
        }
        let all = version >= 2 && request.topics == nil
        response.topics = response.topics.compactMap { topic in
            if visible(topic.name) { return topic }
            if all { return nil }
            var refused = topic
            refused.partitions = topic.partitions.map {
                .init(partitionIndex: $0.partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: "",
                      errorCode: ErrorCode.topicAuthorizationFailed.rawValue)
            }
            return refused
        }
        return reply(response, context)
    }

    /// v8+ topics: those the principal may not describe are left out of "all", refused when named.
    private static func restrict(_ topics: [OffsetFetchResponse.OffsetFetchResponseTopics], all: Bool,
                                 visible: (String) -> Bool) -> [OffsetFetchResponse.OffsetFetchResponseTopics] {
        topics.compactMap { topic in
            if visible(topic.name) { return topic }
            if all { return nil }
            var refused = topic
            refused.partitions = topic.partitions.map {
                .init(partitionIndex: $0.partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: "",
                      errorCode: ErrorCode.topicAuthorizationFailed.rawValue)
            }
            return refused
        }
    }

    func handle(_ request: OffsetFetchRequest, version: Int16) -> OffsetFetchResponse {
        if version >= 8 {
            return OffsetFetchResponse(groups: request.groups.map { group in
                let asked = group.topics.map { topics in
                    topics.flatMap { t in t.partitionIndexes.map { TopicPartition(t.name, $0) } }
                }
                let member = version >= 9 ? (id: group.memberId, epoch: group.memberEpoch) : nil
                let result = coordinator.fetchOffsets(groupId: group.groupId, partitions: asked, member: member)
                return .init(groupId: group.groupId, topics: Self.grouped(result).map { name, partitions in
                    .init(name: name, partitions: partitions.map { tp, o in
                        if request.requireStable && coordinator.hasPendingTransactionalOffset(groupId: group.groupId, tp) {
                            return Self.unstable(tp)
                        }
                        return .init(partitionIndex: tp.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch,
                                     metadata: o.metadata, errorCode: 0)
                    })
                }, errorCode: result.error.rawValue)
            })
        }
        let asked = version >= 2 && request.topics == nil
            ? nil
            : (request.topics ?? []).flatMap { t in t.partitionIndexes.map { TopicPartition(t.name, $0) } }
        var result = coordinator.fetchOffsets(groupId: request.groupId, partitions: asked)
        var partitionError = ErrorCode.noError
        if result.error != .noError && version < 2 {
            // No group-level field before v2: every partition carries the error.
            partitionError = result.error
            result.offsets = (asked ?? []).map { ($0, .none) }
        }
        return OffsetFetchResponse(topics: Self.grouped(result).map { name, partitions in
            .init(name: name, partitions: partitions.map { tp, o in
                if version >= 7 && request.requireStable && coordinator.hasPendingTransactionalOffset(groupId: request.groupId, tp) {
                    return .init(partitionIndex: tp.partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: "",
                                 errorCode: ErrorCode.unstableOffsetCommit.rawValue)
                }
                return .init(partitionIndex: tp.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch,
                             metadata: o.metadata, errorCode: partitionError.rawValue)
            })
        }, errorCode: result.error.rawValue)
    }

    static func unstable(_ tp: TopicPartition) -> OffsetFetchResponse.OffsetFetchResponsePartitions {
        .init(partitionIndex: tp.partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: "",
              errorCode: ErrorCode.unstableOffsetCommit.rawValue)
    }

    /// The result's partitions grouped by topic, topics in first-seen order.
    static func grouped(_ result: OffsetFetchResult) -> [(String, [(TopicPartition, CommittedOffset)])] {
        var order: [String] = []
        var byTopic: [String: [(TopicPartition, CommittedOffset)]] = [:]
        for (tp, offset) in result.offsets {
            if byTopic[tp.topic] == nil { order.append(tp.topic) }
            byTopic[tp.topic, default: []].append((tp, offset))
        }
        return order.map { ($0, byTopic[$0]!) }
    }
}
