import Foundation
import KafkaProtocol
@testable import SluiceStorage
import SluiceBase
import Testing

/// A full disk or a failing one: appends fail with KAFKA_STORAGE_ERROR, nothing half-written is
/// ever served or left for recovery to trip on, reads go on, and appends work again once the
/// disk does.
@Suite struct DiskFullTests {
    /// Small batches are written with one pwrite of a patched copy, batches past 16 KiB with a
    /// gathered pwritev: both must cut a failed write back.
    @Test(arguments: [0, 20_000])
    func injectedWriteFailuresRollBackAndRecover(padding: Int) throws {
        let dir = TempDirectory("faults")
        let faults = StorageFaults()
        let log = try TestLog.open(dir.path, faults: faults)
        let segment = SegmentFiles.path(dir.path, 0, ".log")
        var acknowledged: [String] = []
        func append(_ value: String, epoch: Int32 = 0, seq: Int32 = -1) throws {
            let stored = value + String(repeating: " ", count: padding)
            let batch = Batches.make([stored], producerId: seq >= 0 ? 1 : -1, producerEpoch: seq >= 0 ? 0 : -1, baseSequence: seq)
            _ = try log.appendAsLeader([batch], leaderEpoch: epoch, now: 0)
            acknowledged.append(stored)
        }
        for i in 0..<3 { try append("ok\(i)") }

        // A short write (EIO after 30 bytes): cut back, nothing visible, the next append works.
        faults.fail(.write, pathContaining: ".log", errno: EIO, afterBytes: 30, times: 1)
        let error = try #require(throws: StorageError.self) { try append("lost", seq: 0) }
        #expect(error.errorCode == .kafkaStorageError)
        #expect(log.logEndOffset == 3)
        #expect(try Posix.fileSize(segment) == log.sizeInBytes.asInt)
        // The failed batch did not reach producer state: its retry is new, not a duplicate.
        try append("retried", seq: 0)

        // The cut-back fails too: the stray bytes are never served and go before the next write.
        faults.fail(.write, pathContaining: ".log", errno: ENOSPC, afterBytes: 50, times: 1)
        faults.fail(.truncate, pathContaining: ".log", errno: EIO, times: 1)
        #expect(throws: StorageError.self) { try append("lost2") }
        #expect(try Posix.fileSize(segment) > log.sizeInBytes.asInt)
        #expect(try Fetched.values(log) == acknowledged)
        try append("ok4")
        #expect(try Posix.fileSize(segment) == log.sizeInBytes.asInt)

        // A new leader epoch whose checkpoint cannot be written: the append fails, the epoch
        // is not recorded, and it works once the disk does.
        faults.fail(.write, pathContaining: "leader-epoch-checkpoint", errno: ENOSPC, times: 1)
        #expect(throws: StorageError.self) { try append("lost3", epoch: 5) }
        #expect(log.latestLeaderEpoch == 0)
        try append("epoch5", epoch: 5)
        #expect(log.latestLeaderEpoch == 5)

        // fsync failing: the flush fails and the recovery point stays.
        let before = log.recoveryPoint
        faults.fail(.sync, pathContaining: ".log", errno: EIO, times: 1)
        #expect(throws: StorageError.self) { try log.flush() }
        #expect(log.recoveryPoint == before)
        try log.flush()
        #expect(log.recoveryPoint == log.logEndOffset)

        log.closeWithoutFlush()
        let reopened = try TestLog.open(dir.path)
        #expect(try Fetched.values(reopened) == acknowledged)
    }

    @Test(.enabled(if: Tmpfs.isAvailable, "needs root to mount a small tmpfs"))
    func fullFileSystemFailsAppendsUntilSpaceReturns() throws {
        let fs = try Tmpfs(kibibytes: 4096)
        let tp = TopicPartition("full", 0)
        var config = TestLog.config(segmentBytes: 64 * 1024, indexInterval: 512)
        config.segmentBytes = 64 * 1024
        let manager = try LogManager(directory: fs.path + "/data", defaults: config, logger: TestLog.logger)
        let log = try manager.getOrCreateLog(for: tp, config: config)
        var acknowledged: [String] = []
        // Fill the file system, then give back 40 KiB.
        let filler = fs.path + "/filler"
        try fs.fill(filler)
        try fs.shrink(filler, by: 40 * 1024)
        var failures: [StorageError] = []
        for i in 0..<80 {
            let value = "\(i):" + String(repeating: "v", count: 1500)
            do {
                _ = try log.appendAsLeader([Batches.make([value])], leaderEpoch: 0, now: 0)
                acknowledged.append(value)
            } catch let error as StorageError {
                failures.append(error)
            }
        }
        #expect(acknowledged.count > 5, "some appends fit before the disk filled")
        #expect(failures.count > 10, "appends must fail once the disk is full")
        #expect(failures.allSatisfy { $0.errorCode == .kafkaStorageError })
        // What the log has is served; no file holds bytes the log does not account for.
        #expect(try Fetched.values(log) == acknowledged)
        let segments = try Posix.listDirectory(fs.path + "/data/full-0").filter { $0.hasSuffix(".log") }
        let onDisk = try segments.reduce(0) { $0 + (try Posix.fileSize(fs.path + "/data/full-0/" + $1)) }
        #expect(onDisk == log.sizeInBytes.asInt)

        // Space returns: appends work again.
        try Posix.unlinkIfPresent(filler)
        for i in 0..<20 {
            let value = "again\(i)"
            _ = try log.appendAsLeader([Batches.make([value])], leaderEpoch: 0, now: 0)
            acknowledged.append(value)
        }
        // Fill again and shut down: the clean shutdown cannot finish, so the next start recovers.
        try fs.fill(filler)
        manager.shutdown()
        try Posix.unlinkIfPresent(filler)
        let restarted = try LogManager(directory: fs.path + "/data", defaults: config, logger: TestLog.logger)
        #expect(try Fetched.values(try #require(restarted.log(for: tp))) == acknowledged)
        restarted.shutdown()
    }
}

/// A small tmpfs mounted for one test (needs root), unmounted on release.
final class Tmpfs {
    let path: String
    private let dir: TempDirectory

    static let isAvailable: Bool = {
        guard getuid() == 0, let fs = try? Tmpfs(kibibytes: 64) else { return false }
        _ = fs
        return true
    }()

    init(kibibytes: Int) throws {
        dir = TempDirectory("tmpfs")
        path = dir.path
        try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kibibytes)k", "tmpfs", path])
    }

    deinit { try? Self.run("/bin/umount", ["-l", path]) }

    /// Writes `path` until the file system is full.
    func fill(_ path: String) throws {
        let file = try StorageFile(path: path, create: true)
        defer { file.close() }
        let chunk = [UInt8](repeating: 0xAB, count: 64 * 1024)
        var at = try file.size()
        while true {
            do {
                try chunk.withUnsafeBytes { try file.write([$0], at: at) }
                at += chunk.count
            } catch {
                try file.truncate(to: at)  // drop a partial chunk; what is left is exactly full-ish
                // Fill the remainder in small steps.
                let small = [UInt8](repeating: 0xCD, count: 1024)
                while (try? small.withUnsafeBytes({ try file.write([$0], at: at) })) != nil { at += small.count }
                try file.truncate(to: at)
                return
            }
        }
    }

    func shrink(_ path: String, by bytes: Int) throws {
        let file = try StorageFile(path: path, create: false)
        defer { file.close() }
        try file.truncate(to: max(0, try file.size() - bytes))
    }

    static func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw StorageError.io(tool, path: args.last ?? "", errno: p.terminationStatus) }
    }
}
