import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// OffsetCommit (key 8), versions 0-9.
///
/// - v0: group and offsets only (a commit from outside group management). v1: generation and
///   member id, and a commit timestamp per partition (-1: now). v2-4: a retention time (-1: the
///   broker's `offsets.retention.minutes`; otherwise written as value version 1 with an expire
///   timestamp, as Kafka does). v3: throttle time. v5: no retention time. v6: the committed leader
///   epoch. v7: `group_instance_id`. v8: flexible. v9: same as v8 for classic groups; members of
///   consumer groups (KIP-848) must use it, with their member epoch as the generation
///   (STALE_MEMBER_EPOCH, FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID; UNSUPPORTED_VERSION below v9).
/// - Commits from non-members (generation -1, empty member id) are accepted for empty or unknown
///   groups; members must name the current generation. Partitions of unknown topics get
///   UNKNOWN_TOPIC_OR_PARTITION; metadata longer than `offset.metadata.max.bytes`,
///   OFFSET_METADATA_TOO_LARGE. The answer waits until the offsets are in `__consumer_offsets`.
struct OffsetCommitHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...9
    let coordinator: GroupCoordinator
    /// Whether a partition exists (commits for others are refused).
    let partitionExists: @Sendable (TopicPartition) -> Bool

    func handle(_ request: OffsetCommitRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<OffsetCommitResponse>> {
        handle(request, version: context.apiVersion, on: context.eventLoop).map { HandlerReply($0) }
    }

    func handle(_ request: OffsetCommitRequest, version: Int16, on eventLoop: any EventLoop) -> EventLoopFuture<OffsetCommitResponse> {
        var refused: [TopicPartition: ErrorCode] = [:]
        var entries: [OffsetCommitEntry] = []
        for topic in request.topics {
            for p in topic.partitions {
                let tp = TopicPartition(topic.name, p.partitionIndex)
                if partitionExists(tp) {
                    entries.append(Self.entry(p, topic: topic.name, version: version))
                } else {
                    refused[tp] = .unknownTopicOrPartition
                }
            }
        }
        let input = OffsetCommitInput(
            groupId: request.groupId, generationId: version >= 1 ? request.generationIdOrMemberEpoch : -1,
            memberId: version >= 1 ? request.memberId : "",
            groupInstanceId: version >= 7 ? request.groupInstanceId : nil,
            retentionTimeMs: (2...4).contains(version) && request.retentionTimeMs != -1 ? request.retentionTimeMs : nil,
            offsets: entries, apiVersion: version)
        guard !entries.isEmpty else {
            return eventLoop.makeSucceededFuture(Self.response(request, errors: refused))
        }
        let refusedUpFront = refused
        return coordinator.request({ .commit($0, input) }, on: eventLoop).map { response in
            var errors = refusedUpFront
            if case let .commit(result) = response {
                errors.merge(result.errors) { a, _ in a }
            }
            return Self.response(request, errors: errors)
        }
    }

    static func entry(_ p: OffsetCommitRequest.OffsetCommitRequestPartition, topic: String, version: Int16) -> OffsetCommitEntry {
        OffsetCommitEntry(
            TopicPartition(topic, p.partitionIndex), offset: p.committedOffset,
            leaderEpoch: version >= 6 ? p.committedLeaderEpoch : -1, metadata: p.committedMetadata,
            commitTimestamp: version == 1 && p.commitTimestamp != -1 ? p.commitTimestamp : nil)
    }

    /// One error per partition asked for, in the request's order.
    static func response(_ request: OffsetCommitRequest, errors: [TopicPartition: ErrorCode]) -> OffsetCommitResponse {
        OffsetCommitResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map { p in
                .init(partitionIndex: p.partitionIndex,
                      errorCode: (errors[TopicPartition(topic.name, p.partitionIndex)] ?? .unknownServerError).rawValue)
            })
        })
    }
}
