import Foundation
import SluiceRaft
import Testing

func temporaryDirectory(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-raft-\(name)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The disk store against the in-memory model (Redpanda's habit): seeded random operations,
/// reopening the store at random points, and torn or damaged files.
@Suite struct DiskRaftStoreTests {
    static func config() throws -> RaftConfig {
        RaftConfig(nodeID: 1, voters: try VoterSet([1, 2, 3]), randomSeed: 1)
    }

    /// What the disk store loads must be what the model holds (the disk may keep records before
    /// the logical start in a shared segment; the node drops those).
    static func expectSame(_ loaded: RaftPersistedState, _ model: MemoryRaftStore, _ context: String) throws {
        #expect(loaded.quorumState == model.quorumState, "\(context)")
        #expect(loaded.snapshot == model.snapshot, "\(context)")
        #expect(loaded.logStartOffset <= model.logStartOffset, "\(context)")
        let kept = loaded.entries.filter { $0.offset >= model.logStartOffset }
        #expect(kept == model.entries, "\(context): disk \(kept.map(\.description)) model \(model.entries.map(\.description))")
        #expect(max(loaded.logStartOffset + Int64(loaded.entries.count), model.logStartOffset) == model.logEndOffset, "\(context)")
        _ = try RaftNode(config: config(), persisted: loaded)
    }

    @Test(arguments: 1...12)
    func matchesTheMemoryModel(seed: UInt64) throws {
        let directory = temporaryDirectory("model")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var rng = SplitMix64(seed: seed)
        var disk = try DiskRaftStore(directory: directory, segmentBytes: 64 + rng.below(300))
        try Self.expectSame(try disk.load(), MemoryRaftStore(), "fresh")
        var model = MemoryRaftStore()
        var epoch: Int32 = 1
        for step in 0..<200 {
            var operations: [RaftPersistOperation] = []
            switch rng.below(12) {
            case 0..<6:
                if rng.chance(0.2) { epoch += 1 }
                var entries: [LogEntry] = []
                for i in 0..<(1 + rng.below(5)) {
                    let offset = model.logEndOffset + Int64(i)
                    if rng.chance(0.1) {
                        let change = LeaderChange(leaderID: 2, voters: [1, 2, 3], grantingVoters: [2, 3])
                        entries.append(LogEntry(offset: offset, epoch: epoch, payload: .leaderChange(change)))
                    } else {
                        entries.append(LogEntry(offset: offset, epoch: epoch, payload: .data((0..<rng.below(40)).map { _ in UInt8(rng.below(256)) })))
                    }
                }
                operations = [.append(entries)]
            case 6, 7:
                let span = Int(model.logEndOffset - model.logStartOffset)
                operations = [.truncateLog(from: model.logStartOffset + Int64(rng.below(span + 1)))]
            case 8:
                let span = Int(model.logEndOffset - model.logStartOffset)
                guard span > 0 else { continue }
                let end = model.logStartOffset + 1 + Int64(rng.below(span))
                let id = SnapshotID(offset: end, epoch: model.entry(at: end - 1)!.epoch)
                let bytes = (0..<rng.below(100)).map { _ in UInt8(rng.below(256)) }
                operations = [.writeSnapshot(RaftSnapshot(id: id, data: bytes)), .setLogStart(end)]
            case 9:
                epoch += 1
                operations = [.writeQuorumState(QuorumState(epoch: epoch, votedID: rng.chance(0.5) ? 2 : nil, leaderID: rng.chance(0.5) ? 3 : nil))]
            default:
                disk = try DiskRaftStore(directory: directory, segmentBytes: 64 + rng.below(300))
                try Self.expectSame(try disk.load(), model, "seed \(seed) step \(step) reopen")
            }
            for operation in operations {
                try model.apply(operation)
                try disk.apply(operation)
            }
        }
        disk = try DiskRaftStore(directory: directory)
        try Self.expectSame(try disk.load(), model, "seed \(seed) final")
    }

    static func segments(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory + "/log").filter { $0.hasSuffix(".log") }.sorted()
            .map { directory + "/log/" + $0 }
    }

    static func fill(_ directory: String, count: Int, segmentBytes: Int = 1 << 20) throws -> DiskRaftStore {
        let store = try DiskRaftStore(directory: directory, segmentBytes: segmentBytes)
        _ = try store.load()
        for offset in 0..<Int64(count) {
            try store.persist(RaftPersistence(entries: [data(offset, 1, UInt8(offset))]))
        }
        return store
    }

    @Test func cutsOffATornTail() throws {
        let directory = temporaryDirectory("torn")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try Self.fill(directory, count: 10)
        let segment = try #require(try Self.segments(directory).last)
        let intact = try #require(FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int)
        // Half a record: a length prefix promising more than was written.
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        handle.seekToEndOfFile()
        handle.write(Data([40, 0, 0, 0, 0x12, 0x34, 1, 2, 3]))
        handle.closeFile()

        let store = try DiskRaftStore(directory: directory)
        let loaded = try store.load()
        #expect(loaded.entries.map(\.offset) == Array(0..<10))
        #expect(try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int == intact)
        try store.persist(RaftPersistence(entries: [data(10, 2)]))
        #expect(try DiskRaftStore(directory: directory).load().entries.count == 11)
    }

    @Test func dropsARecordThatFailsItsChecksum() throws {
        let directory = temporaryDirectory("crc")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try Self.fill(directory, count: 5)
        let segment = try #require(try Self.segments(directory).last)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: segment))
        #expect(try DiskRaftStore(directory: directory).load().entries.map(\.offset) == [0, 1, 2, 3])
    }

    @Test func refusesDamageBeforeTheLastSegment() throws {
        let directory = temporaryDirectory("damage")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try Self.fill(directory, count: 30, segmentBytes: 100)
        let segments = try Self.segments(directory)
        #expect(segments.count > 2)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segments[0]))
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: segments[0]))
        #expect(throws: RaftStoreError.self) { try DiskRaftStore(directory: directory).load() }
    }

    @Test func refusesAnUnreadableQuorumStateAndIgnoresLeftoverTemporaryFiles() throws {
        let directory = temporaryDirectory("quorum")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try DiskRaftStore(directory: directory)
        _ = try store.load()
        try store.persist(RaftPersistence(quorumState: QuorumState(epoch: 7, votedID: 2, leaderID: 2)))
        // A crash mid-replace leaves a temporary file, never a torn quorum-state.
        try Data("{\"leaderEpoch\":9".utf8).write(to: URL(fileURLWithPath: directory + "/quorum-state.tmp"))
        #expect(try DiskRaftStore(directory: directory).load().quorumState == QuorumState(epoch: 7, votedID: 2, leaderID: 2))
        let text = try String(contentsOfFile: directory + "/quorum-state", encoding: .utf8)
        #expect(text == #"{"dataVersion":0,"leaderEpoch":7,"leaderId":2,"votedId":2}"#)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: directory + "/quorum-state"))
        #expect(throws: RaftStoreError.self) { try DiskRaftStore(directory: directory).load() }
    }

    @Test func aFetchedSnapshotStoredBeforeTheOldLogWasClearedWins() throws {
        let directory = temporaryDirectory("install")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Self.fill(directory, count: 5)
        // Crash right after storing a snapshot the old (divergent) log does not continue.
        let snapshot = RaftSnapshot(id: SnapshotID(offset: 20, epoch: 3), data: [1, 2])
        try store.apply(.writeSnapshot(snapshot))
        let reopened = try DiskRaftStore(directory: directory)
        var node = try RaftNode(config: Self.config(), persisted: try reopened.load())
        #expect(node.log.startOffset == 20 && node.log.isEmpty)
        let ready = node.ready()
        #expect(ready.persistence.truncateFrom == 0 && ready.persistence.logStartOffset == 20)
        try reopened.persist(ready.persistence)
        let loaded = try DiskRaftStore(directory: directory).load()
        #expect(loaded.snapshot == snapshot && loaded.logStartOffset == 20 && loaded.entries.isEmpty)
    }
}
