import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// OffsetFetch (key 9), versions 0-9.
///
/// - v0-1: the partitions asked for, errors per partition (a group-level error is repeated on
///   each). v2: a null topic list asks for every committed offset; a group-level error field.
///   v3-4: throttle time. v5: committed leader epochs. v6: flexible. v7: `require_stable`
///   (no transactions here, so every offset is stable). v8: several groups in one request
///   (KIP-709). v9: member id and epoch, ignored for classic groups and checked for consumer
///   groups (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH, FENCED_MEMBER_EPOCH as the group's error).
/// - A partition without a committed offset gets offset -1, metadata "" and no error. Lag tools
///   pair these offsets with ListOffsets' end offsets.
struct OffsetFetchHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...9
    let coordinator: GroupCoordinator

    func handle(_ request: OffsetFetchRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<OffsetFetchResponse>> {
        reply(handle(request, version: context.apiVersion), context)
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
                        .init(partitionIndex: tp.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch,
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
                .init(partitionIndex: tp.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch,
                      metadata: o.metadata, errorCode: partitionError.rawValue)
            })
        }, errorCode: result.error.rawValue)
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
