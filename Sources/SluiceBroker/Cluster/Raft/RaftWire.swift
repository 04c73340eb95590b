import KafkaProtocol
import NIOCore
import SluiceRaft

/// The Raft core's messages on Kafka's own APIs, for the single `__cluster_metadata` partition 0.
///
/// | core | Kafka API, version Sluice sends |
/// | --- | --- |
/// | vote request/response | Vote (52) v1 — `PreVote` as tagged field ``preVoteTag`` (see below) |
/// | begin quorum epoch | BeginQuorumEpoch (53) v1 |
/// | end quorum epoch | EndQuorumEpoch (54) v1 (`PreferredCandidates`) |
/// | fetch | Fetch (1) v13, topic id ``metadataTopicId``, replica id, last fetched epoch (see `RaftWire+Fetch`) |
/// | fetch snapshot | FetchSnapshot (59) v0 |
///
/// **Pre-votes.** The shared VoteRequest spec stops at v1, which has no `PreVote` field (KIP-996
/// adds it as a plain field in v2). Sluice nodes carry it as a *tagged field* of the request's
/// partition entry, tag ``preVoteTag`` (a one-byte boolean, present only when true): the v1
/// layout is unchanged, a Kafka v1 decoder skips unknown tags, and a Sluice decoder that finds
/// no tag reads a normal vote. A Kafka voter would therefore treat a Sluice pre-vote as a real
/// vote request; Sluice quorums are Sluice-only, and the tag number sits far above any tag
/// Kafka's specs use, so a future Kafka field cannot collide with it.
enum RaftWire {
    static let topicName = "__cluster_metadata"
    /// Kafka's fixed id of the metadata topic (`Uuid.METADATA_TOPIC_ID`, 0…01).
    static let metadataTopicId = KafkaUUID(high: 0, low: 1)
    static let preVoteTag: UInt32 = 10_000

    static let voteVersion: Int16 = 1
    static let beginQuorumEpochVersion: Int16 = 1
    static let endQuorumEpochVersion: Int16 = 1
    static let fetchVersion: Int16 = 13
    static let fetchSnapshotVersion: Int16 = 0

    static func id(_ id: Int32?) -> Int32 { id ?? -1 }
    static func optionalId(_ id: Int32) -> Int32? { id < 0 ? nil : id }

    /// A request that does not address exactly `__cluster_metadata`-0 is malformed for the quorum.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: Vote

    static func request(_ m: RaftMessage.VoteRequest, clusterId: String?) -> VoteRequest {
        var partition = VoteRequest.PartitionData()
        partition.candidateEpoch = m.candidateEpoch
        partition.candidateId = m.candidateID
        partition.lastOffsetEpoch = m.lastOffsetEpoch
        partition.lastOffset = m.lastOffset
        if m.preVote {
            var flag = ByteBufferAllocator().buffer(capacity: 1)
            flag.writeInteger(UInt8(1))
            partition.unknownTaggedFields = [TaggedField(tag: preVoteTag, data: flag)]
        }
        var request = VoteRequest()
        request.clusterId = clusterId
        request.voterId = m.voterID
        request.topics = [.init(topicName: topicName, partitions: [partition])]
        return request
    }

    static func message(_ r: VoteRequest) throws -> (source: Int32, RaftMessage) {
        guard r.topics.count == 1, r.topics[0].topicName == topicName, r.topics[0].partitions.count == 1,
              r.topics[0].partitions[0].partitionIndex == 0 else { throw Malformed(description: "Vote for another partition") }
        let p = r.topics[0].partitions[0]
        let preVote = p.unknownTaggedFields.first { $0.tag == preVoteTag }.map { $0.data.getInteger(at: $0.data.readerIndex, as: UInt8.self) == 1 } ?? false
        return (p.candidateId, .voteRequest(.init(candidateEpoch: p.candidateEpoch, candidateID: p.candidateId,
                                                   voterID: r.voterId, lastOffsetEpoch: p.lastOffsetEpoch,
                                                   lastOffset: p.lastOffset, preVote: preVote)))
    }

    static func response(_ m: RaftMessage.VoteResponse) -> VoteResponse {
        var partition = VoteResponse.PartitionData()
        partition.errorCode = m.errorCode.rawValue
        partition.leaderId = id(m.leaderID)
        partition.leaderEpoch = m.leaderEpoch
        partition.voteGranted = m.voteGranted
        var response = VoteResponse()
        response.topics = [.init(topicName: topicName, partitions: [partition])]
        return response
    }

    static func message(_ r: VoteResponse) throws -> RaftMessage {
        guard let p = r.topics.first?.partitions.first else {
            throw Malformed(description: "Vote response without a partition (error \(r.errorCode))")
        }
        return .voteResponse(.init(errorCode: RaftErrorCode(rawValue: p.errorCode != 0 ? p.errorCode : r.errorCode),
                                   leaderID: optionalId(p.leaderId), leaderEpoch: p.leaderEpoch,
                                   voteGranted: p.voteGranted && r.errorCode == 0))
    }

    // MARK: BeginQuorumEpoch

    static func request(_ m: RaftMessage.BeginQuorumEpochRequest, clusterId: String?) -> BeginQuorumEpochRequest {
        var partition = BeginQuorumEpochRequest.PartitionData()
        partition.leaderId = m.leaderID
        partition.leaderEpoch = m.leaderEpoch
        var request = BeginQuorumEpochRequest()
        request.clusterId = clusterId
        request.voterId = m.voterID
        request.topics = [.init(topicName: topicName, partitions: [partition])]
        return request
    }

    static func message(_ r: BeginQuorumEpochRequest) throws -> (source: Int32, RaftMessage) {
        guard r.topics.count == 1, r.topics[0].topicName == topicName, let p = r.topics[0].partitions.first,
              p.partitionIndex == 0 else { throw Malformed(description: "BeginQuorumEpoch for another partition") }
        return (p.leaderId, .beginQuorumEpochRequest(.init(voterID: r.voterId, leaderID: p.leaderId, leaderEpoch: p.leaderEpoch)))
    }

    static func response(_ m: RaftMessage.BeginQuorumEpochResponse) -> BeginQuorumEpochResponse {
        var partition = BeginQuorumEpochResponse.PartitionData()
        partition.errorCode = m.errorCode.rawValue
        partition.leaderId = id(m.leaderID)
        partition.leaderEpoch = m.leaderEpoch
        var response = BeginQuorumEpochResponse()
        response.topics = [.init(topicName: topicName, partitions: [partition])]
        return response
    }

    static func message(_ r: BeginQuorumEpochResponse) throws -> RaftMessage {
        guard let p = r.topics.first?.partitions.first else {
            throw Malformed(description: "BeginQuorumEpoch response without a partition (error \(r.errorCode))")
        }
        return .beginQuorumEpochResponse(.init(errorCode: RaftErrorCode(rawValue: p.errorCode != 0 ? p.errorCode : r.errorCode),
                                               leaderID: optionalId(p.leaderId), leaderEpoch: p.leaderEpoch))
    }

    // MARK: EndQuorumEpoch

    static func request(_ m: RaftMessage.EndQuorumEpochRequest, clusterId: String?) -> EndQuorumEpochRequest {
        var partition = EndQuorumEpochRequest.PartitionData()
        partition.leaderId = m.leaderID
        partition.leaderEpoch = m.leaderEpoch
        partition.preferredCandidates = m.preferredCandidates.map { .init(candidateId: $0) }
        var request = EndQuorumEpochRequest()
        request.clusterId = clusterId
        request.topics = [.init(topicName: topicName, partitions: [partition])]
        return request
    }

    static func message(_ r: EndQuorumEpochRequest, version: Int16) throws -> (source: Int32, RaftMessage) {
        guard r.topics.count == 1, r.topics[0].topicName == topicName, let p = r.topics[0].partitions.first,
              p.partitionIndex == 0 else { throw Malformed(description: "EndQuorumEpoch for another partition") }
        let candidates = version >= 1 ? p.preferredCandidates.map(\.candidateId) : p.preferredSuccessors
        return (p.leaderId, .endQuorumEpochRequest(.init(leaderID: p.leaderId, leaderEpoch: p.leaderEpoch,
                                                         preferredCandidates: candidates)))
    }

    static func response(_ m: RaftMessage.EndQuorumEpochResponse) -> EndQuorumEpochResponse {
        var partition = EndQuorumEpochResponse.PartitionData()
        partition.errorCode = m.errorCode.rawValue
        partition.leaderId = id(m.leaderID)
        partition.leaderEpoch = m.leaderEpoch
        var response = EndQuorumEpochResponse()
        response.topics = [.init(topicName: topicName, partitions: [partition])]
        return response
    }

    static func message(_ r: EndQuorumEpochResponse) throws -> RaftMessage {
        guard let p = r.topics.first?.partitions.first else {
            throw Malformed(description: "EndQuorumEpoch response without a partition (error \(r.errorCode))")
        }
        return .endQuorumEpochResponse(.init(errorCode: RaftErrorCode(rawValue: p.errorCode != 0 ? p.errorCode : r.errorCode),
                                             leaderID: optionalId(p.leaderId), leaderEpoch: p.leaderEpoch))
    }
}
