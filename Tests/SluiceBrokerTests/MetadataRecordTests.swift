import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceRaft
import SluiceStorage
import Testing
@testable import SluiceBroker

/// The metadata log's records, their codec, the image they replay into, snapshots of it, and
/// the per-broker partition changes derived from two images.
@Suite struct MetadataRecordTests {
    static let topicId = KafkaUUID(high: 7, low: 9)

    static var sampleRecords: [MetadataRecord] {
        [
            .clusterId("c-1"),
            .registerBroker(BrokerRegistration(id: 1, incarnationId: "i1", epoch: 3, endpoints: [
                BrokerEndpoint(name: "PLAINTEXT", address: BrokerAddress(host: "10.0.0.1", port: 9092))], rack: "r1", fenced: true)),
            .registerBroker(BrokerRegistration(id: 2, incarnationId: "i2", epoch: 4, endpoints: [], rack: nil, fenced: true)),
            .unfenceBroker(id: 1, epoch: 3),
            .topic(name: "t", id: topicId),
            .partition(PartitionRegistration(topicId: topicId, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1)),
            .config(resourceType: 2, resourceName: "t", name: "retention.ms", value: "1000"),
            .partitionChange(PartitionChange(topicId: topicId, partition: 0, leader: 2, isr: [2])),
            .brokerShutdownChange(id: 1, epoch: 3, inControlledShutdown: true),
            .producerIds(brokerId: 1, brokerEpoch: 3, nextProducerId: 2000),
            .fenceBroker(id: 2, epoch: 4),
        ]
    }

    @Test func recordsRoundTrip() throws {
        let records = Self.sampleRecords + [.removeTopic(id: Self.topicId), .unregisterBroker(id: 2, epoch: 4),
                                            .config(resourceType: 4, resourceName: "", name: "x", value: nil)]
        #expect(try MetadataRecordCodec.decode(MetadataRecordCodec.encode(records)) == records)
    }

    @Test func damagedBatchesAreErrorsNeverTraps() {
        let bytes = MetadataRecordCodec.encode(Self.sampleRecords)
        var random = SystemRandomNumberGenerator()
        for cut in 0..<bytes.count {
            #expect(throws: MetadataRecordError.self) { try MetadataRecordCodec.decode(Array(bytes[..<cut])) }
        }
        for _ in 0..<2000 {
            var damaged = bytes
            damaged[Int.random(in: 0..<damaged.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            _ = try? MetadataRecordCodec.decode(damaged)  // an error or a (different) value, never a crash
        }
    }

    @Test func replayBuildsTheImage() {
        var image = MetadataImage()
        for record in Self.sampleRecords { #expect(image.apply(record) == nil) }
        #expect(image.clusterId == "c-1")
        #expect(image.brokers[1]?.fenced == false && image.brokers[1]?.inControlledShutdown == true)
        #expect(image.brokers[2]?.fenced == true)
        let p = image.topics["t"]!.partitions[0]
        // A leader change bumps both epochs; every change bumps the partition epoch.
        #expect(p.leader == 2 && p.isr == [2] && p.leaderEpoch == 1 && p.partitionEpoch == 1)
        #expect(image.topics["t"]?.configs == ["retention.ms": "1000"])
        #expect(image.nextProducerIdBlock == 2000)
        // Records that do not fit are reported, not applied.
        #expect(image.apply(.partitionChange(PartitionChange(topicId: KafkaUUID(high: 1, low: 1), partition: 0, isr: []))) != nil)
        #expect(image.apply(.unfenceBroker(id: 2, epoch: 99)) != nil)
        #expect(image.brokers[2]?.fenced == true)
    }

    @Test func snapshotRecordsRebuildTheSameImage() throws {
        var image = MetadataImage()
        for record in Self.sampleRecords { image.apply(record) }
        image.offset = 42
        let bytes = MetadataRecordCodec.encode(image.snapshotRecords)
        let rebuilt = MetadataImage.fromSnapshot(try MetadataRecordCodec.decode(bytes), offset: 42)
        #expect(rebuilt == image)
    }

    @Test func localChangesFollowLeadershipAndReplicas() {
        var before = MetadataImage()
        for record in Self.sampleRecords.prefix(7) { before.apply(record) }  // p0: replicas [1,2], leader 1
        let defaults = LogConfig()
        let first = LocalPartitionDeltaBuilder.changes(from: MetadataImage(), to: before, broker: 1, logDefaults: defaults)
        guard case .becomeLeader(let led, true)? = first.first else { Issue.record("\(first)"); return }
        #expect(led.topicPartition == TopicPartition("t", 0) && led.config.retentionMs == 1000)
        #expect(LocalPartitionDeltaBuilder.changes(from: before, to: before, broker: 1, logDefaults: defaults).isEmpty)

        var after = before
        after.apply(.partitionChange(PartitionChange(topicId: Self.topicId, partition: 0, leader: 2)))
        let moved = LocalPartitionDeltaBuilder.changes(from: before, to: after, broker: 1, logDefaults: defaults)
        guard case .becomeFollower(let followed, true)? = moved.first else { Issue.record("\(moved)"); return }
        #expect(followed.registration.leader == 2 && followed.registration.leaderEpoch == 1)

        var isrOnly = after
        isrOnly.apply(.partitionChange(PartitionChange(topicId: Self.topicId, partition: 0, isr: [2, 1])))
        let isrChange = LocalPartitionDeltaBuilder.changes(from: after, to: isrOnly, broker: 2, logDefaults: defaults)
        guard case .becomeLeader(_, false)? = isrChange.first else { Issue.record("\(isrChange)"); return }

        var removed = isrOnly
        removed.apply(.partitionChange(PartitionChange(topicId: Self.topicId, partition: 0, isr: [2], replicas: [2])))
        #expect(LocalPartitionDeltaBuilder.changes(from: isrOnly, to: removed, broker: 1, logDefaults: defaults)
                == [.stopReplica(TopicPartition("t", 0), topicId: Self.topicId, deleteLog: true)])
        var deleted = removed
        deleted.apply(.removeTopic(id: Self.topicId))
        #expect(LocalPartitionDeltaBuilder.changes(from: removed, to: deleted, broker: 2, logDefaults: defaults)
                == [.stopReplica(TopicPartition("t", 0), topicId: Self.topicId, deleteLog: true)])
    }

    @Test func quorumMessagesSurviveKafkasWireFormat() throws {
        let vote = RaftMessage.VoteRequest(candidateEpoch: 5, candidateID: 2, voterID: 3, lastOffsetEpoch: 4, lastOffset: 99, preVote: true)
        var writer = WireWriter()
        RaftWire.request(vote, clusterId: nil).encode(to: &writer, version: 1)
        var reader = WireReader(writer.buffer)
        let decoded = try RaftWire.message(VoteRequest(from: &reader, version: 1))
        #expect(decoded.source == 2 && decoded.1 == .voteRequest(vote))
        var real = vote
        real.preVote = false
        #expect(try RaftWire.message(RaftWire.request(real, clusterId: nil)).1 == .voteRequest(real))

        let entries = [LogEntry(offset: 10, epoch: 3, payload: .leaderChange(LeaderChange(leaderID: 1, voters: [1, 2, 3], grantingVoters: [1, 2]))),
                       LogEntry(offset: 11, epoch: 3, payload: .data(MetadataRecordCodec.encode(Self.sampleRecords)))]
        let response = RaftMessage.FetchResponse(errorCode: .none, highWatermark: 11, logStartOffset: 0,
                                                 currentLeader: LeaderAndEpoch(leaderID: 1, epoch: 3), entries: entries)
        var fetchWriter = WireWriter()
        RaftWire.response(response).encode(to: &fetchWriter, version: RaftWire.fetchVersion)
        var fetchReader = WireReader(fetchWriter.buffer)
        let back = try RaftWire.message(FetchResponse(from: &fetchReader, version: RaftWire.fetchVersion))
        #expect(back == .fetchResponse(response))
    }
}
