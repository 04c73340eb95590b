import KafkaProtocol
import NIOCore
import SluiceRaft

// Fetch (v13) and FetchSnapshot (v0) on `__cluster_metadata`-0.
//
// Each log entry travels as one record batch: base offset = the entry's offset, partition leader
// epoch = its epoch, one record. An application entry is a data record whose value is the
// metadata record batch (`MetadataRecordCodec`); a `LeaderChange` entry is a *control* batch
// whose record key is Kafka's control key (version 0, type 2 = LEADER_CHANGE) and whose value is
// a `LeaderChangeMessage` v0, as KRaft writes it.
extension RaftWire {
    static let leaderChangeControlType: Int16 = 2

    static func request(_ m: RaftMessage.FetchRequest, clusterId: String?, tickMs: Int) -> FetchRequest {
        var partition = FetchRequest.FetchPartition()
        partition.partition = 0
        partition.currentLeaderEpoch = m.currentLeaderEpoch
        partition.fetchOffset = m.fetchOffset
        partition.lastFetchedEpoch = m.lastFetchedEpoch
        partition.logStartOffset = m.logStartOffset
        partition.partitionMaxBytes = m.maxBytes
        var request = FetchRequest()
        request.clusterId = clusterId
        request.replicaId = m.replicaID
        request.maxWaitMs = Int32(clamping: Int(m.maxWaitTicks) * tickMs)
        request.minBytes = 0
        request.maxBytes = m.maxBytes
        request.topics = [.init(topic: topicName, topicId: metadataTopicId, partitions: [partition])]
        return request
    }

    static func message(_ r: FetchRequest, tickMs: Int) throws -> (source: Int32, RaftMessage) {
        guard r.topics.count == 1, r.topics[0].topicId == metadataTopicId || r.topics[0].topic == topicName,
              let p = r.topics[0].partitions.first, p.partition == 0, r.topics[0].partitions.count == 1 else {
            throw Malformed(description: "Fetch on the controller listener for something other than \(topicName)-0")
        }
        let replica = r.replicaId >= 0 ? r.replicaId : r.replicaState.replicaId
        let ticks = Int32(clamping: Int(r.maxWaitMs) / max(1, tickMs))
        return (replica, .fetchRequest(.init(replicaID: replica, currentLeaderEpoch: p.currentLeaderEpoch,
                                              fetchOffset: p.fetchOffset, lastFetchedEpoch: max(0, p.lastFetchedEpoch),
                                              logStartOffset: p.logStartOffset, maxWaitTicks: ticks,
                                              maxBytes: p.partitionMaxBytes)))
    }

    static func response(_ m: RaftMessage.FetchResponse) -> FetchResponse {
        var partition = FetchResponse.PartitionData()
        partition.partitionIndex = 0
        partition.errorCode = m.errorCode.rawValue
        partition.highWatermark = m.highWatermark ?? -1
        partition.lastStableOffset = m.highWatermark ?? -1
        partition.logStartOffset = m.logStartOffset
        if let diverging = m.divergingEpoch {
            partition.divergingEpoch = .init(epoch: diverging.epoch, endOffset: diverging.offset)
        }
        partition.currentLeader = .init(leaderId: id(m.currentLeader.leaderID), leaderEpoch: m.currentLeader.epoch)
        if let snapshot = m.snapshotID {
            partition.snapshotId = .init(endOffset: snapshot.offset, epoch: snapshot.epoch)
        }
        partition.abortedTransactions = nil
        partition.records = .bytes(encode(m.entries))
        var response = FetchResponse()
        response.responses = [.init(topic: topicName, topicId: metadataTopicId, partitions: [partition])]
        return response
    }

    static func message(_ r: FetchResponse) throws -> RaftMessage {
        guard let p = r.responses.first?.partitions.first else {
            throw Malformed(description: "Fetch response without a partition (error \(r.errorCode))")
        }
        var entries: [LogEntry] = []
        if case .bytes(let bytes)? = p.records { entries = try decode(bytes) }
        let diverging = p.divergingEpoch.epoch >= 0 ? OffsetAndEpoch(offset: p.divergingEpoch.endOffset, epoch: p.divergingEpoch.epoch) : nil
        let snapshot = p.snapshotId.epoch >= 0 ? SnapshotID(offset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch) : nil
        return .fetchResponse(.init(
            errorCode: RaftErrorCode(rawValue: p.errorCode != 0 ? p.errorCode : r.errorCode),
            highWatermark: p.highWatermark >= 0 ? p.highWatermark : nil, logStartOffset: p.logStartOffset,
            divergingEpoch: diverging,
            currentLeader: LeaderAndEpoch(leaderID: optionalId(p.currentLeader.leaderId), epoch: p.currentLeader.leaderEpoch),
            snapshotID: snapshot, entries: entries))
    }

    // MARK: Entries as record batches

    static func encode(_ entries: [LogEntry]) -> ByteBuffer {
        var out = ByteBufferAllocator().buffer(capacity: entries.reduce(0) { $0 + 80 + $1.payloadSize })
        for entry in entries {
            var builder: RecordBatchBuilder
            switch entry.payload {
            case .data(let bytes):
                builder = RecordBatchBuilder(baseOffset: entry.offset, capacity: bytes.count + 16)
                builder.append(key: nil, value: ByteBuffer(bytes: bytes), timestamp: 0)
            case .leaderChange(let change):
                builder = RecordBatchBuilder(baseOffset: entry.offset, isControl: true, capacity: 64)
                var key = ByteBufferAllocator().buffer(capacity: 4)
                key.writeInteger(Int16(0))
                key.writeInteger(leaderChangeControlType)
                var message = LeaderChangeMessage()
                message.leaderId = change.leaderID
                message.voters = change.voters.map { .init(voterId: $0) }
                message.grantingVoters = change.grantingVoters.map { .init(voterId: $0) }
                var value = WireWriter(capacity: 32)
                message.encode(to: &value, version: 0)
                builder.append(key: key, value: value.buffer, timestamp: 0)
            }
            builder.partitionLeaderEpoch = entry.epoch
            // Building an uncompressed batch cannot fail.
            if let batch = try? builder.build() { out.writeImmutableBuffer(batch.bytes) }
        }
        return out
    }

    static func decode(_ bytes: ByteBuffer) throws -> [LogEntry] {
        var sequence = RecordBatchSequence(bytes)
        var entries: [LogEntry] = []
        while let batch = sequence.next() {
            try batch.validate()
            for record in try batch.records() {
                if batch.isControl {
                    guard var key = record.key, key.readInteger(as: Int16.self) != nil,
                          key.readInteger(as: Int16.self) == leaderChangeControlType, let value = record.value else {
                        throw Malformed(description: "an unknown control record in the metadata log")
                    }
                    var reader = WireReader(value)
                    let message = try LeaderChangeMessage(from: &reader, version: 0)
                    entries.append(LogEntry(offset: record.offset, epoch: batch.partitionLeaderEpoch, payload: .leaderChange(
                        LeaderChange(leaderID: message.leaderId, voters: message.voters.map(\.voterId),
                                     grantingVoters: message.grantingVoters.map(\.voterId)))))
                } else {
                    let value = record.value.map { Array($0.readableBytesView) } ?? []
                    entries.append(LogEntry(offset: record.offset, epoch: batch.partitionLeaderEpoch, payload: .data(value)))
                }
            }
        }
        if let error = sequence.error { throw error }
        return entries
    }

    // MARK: FetchSnapshot

    static func request(_ m: RaftMessage.FetchSnapshotRequest, clusterId: String?) -> FetchSnapshotRequest {
        var partition = FetchSnapshotRequest.PartitionSnapshot()
        partition.partition = 0
        partition.currentLeaderEpoch = m.currentLeaderEpoch
        partition.snapshotId = .init(endOffset: m.snapshotID.offset, epoch: m.snapshotID.epoch)
        partition.position = m.position
        var request = FetchSnapshotRequest()
        request.clusterId = clusterId
        request.replicaId = m.replicaID
        request.maxBytes = m.maxBytes
        request.topics = [.init(name: topicName, partitions: [partition])]
        return request
    }

    static func message(_ r: FetchSnapshotRequest) throws -> (source: Int32, RaftMessage) {
        guard r.topics.count == 1, r.topics[0].name == topicName, let p = r.topics[0].partitions.first, p.partition == 0 else {
            throw Malformed(description: "FetchSnapshot for something other than \(topicName)-0")
        }
        return (r.replicaId, .fetchSnapshotRequest(.init(
            replicaID: r.replicaId, currentLeaderEpoch: p.currentLeaderEpoch,
            snapshotID: SnapshotID(offset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch),
            position: p.position, maxBytes: r.maxBytes)))
    }

    static func response(_ m: RaftMessage.FetchSnapshotResponse) -> FetchSnapshotResponse {
        var partition = FetchSnapshotResponse.PartitionSnapshot()
        partition.index = 0
        partition.errorCode = m.errorCode.rawValue
        partition.snapshotId = .init(endOffset: m.snapshotID.offset, epoch: m.snapshotID.epoch)
        partition.currentLeader = .init(leaderId: id(m.currentLeader.leaderID), leaderEpoch: m.currentLeader.epoch)
        partition.size = m.size
        partition.position = m.position
        partition.unalignedRecords = .bytes(ByteBuffer(bytes: m.bytes))
        var response = FetchSnapshotResponse()
        response.topics = [.init(name: topicName, partitions: [partition])]
        return response
    }

    static func message(_ r: FetchSnapshotResponse) throws -> RaftMessage {
        guard let p = r.topics.first?.partitions.first else {
            throw Malformed(description: "FetchSnapshot response without a partition (error \(r.errorCode))")
        }
        var bytes: [UInt8] = []
        if case .bytes(let buffer)? = p.unalignedRecords { bytes = Array(buffer.readableBytesView) }
        return .fetchSnapshotResponse(.init(
            errorCode: RaftErrorCode(rawValue: p.errorCode != 0 ? p.errorCode : r.errorCode),
            snapshotID: SnapshotID(offset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch),
            currentLeader: LeaderAndEpoch(leaderID: optionalId(p.currentLeader.leaderId), epoch: p.currentLeader.leaderEpoch),
            size: p.size, position: p.position, bytes: bytes))
    }
}

extension LogEntry {
    var payloadSize: Int {
        if case .data(let bytes) = payload { return bytes.count }
        return 32
    }
}
