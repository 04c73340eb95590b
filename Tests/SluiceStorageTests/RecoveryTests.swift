import Foundation
import KafkaProtocol
import NIOCore
@testable import SluiceStorage
import SluiceBase
import Testing

@Suite struct RecoveryTests {
    @Test func cleanCloseReopensWithoutScanning() throws {
        let dir = TempDirectory()
        let config = TestLog.config(segmentBytes: 2048, indexInterval: 256)
        do {
            let log = try TestLog.open(dir.path, config: config)
            for i in 0..<30 { _ = try log.appendAsLeader([Batches.sized(150, tag: "\(i % 10)")], leaderEpoch: 2, now: 0) }
            log.updateHighWatermark(25)
            try log.close()
            #expect(throws: StorageError.closed) { _ = try log.appendAsLeader([Batches.make(["z"])], leaderEpoch: 2, now: 0) }
        }
        // Every segment has complete index files and a snapshot sits at the log end.
        let names = try Posix.listDirectory(dir.path)
        #expect(names.filter { $0.hasSuffix(".index") }.count == names.filter { $0.hasSuffix(".log") }.count)
        #expect(names.contains(SegmentFiles.digits(30) + ".snapshot"))
        let log = try TestLog.open(dir.path, config: config, clean: true, highWatermark: 25)
        #expect(log.logEndOffset == 30 && log.highWatermark == 25 && log.recoveryPoint == 30)
        #expect(try Fetched.read(log, from: 0).count == 30)
        #expect(try Fetched.read(log, from: 17, maxBytes: 1).first?.baseOffset == 17)
        _ = try log.appendAsLeader([Batches.make(["next"])], leaderEpoch: 2, now: 0)
        #expect(log.logEndOffset == 31)
    }

    @Test func uncleanStopCutsATornTail() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        for i in 0..<5 { _ = try log.appendAsLeader([Batches.make(["v\(i)"])], leaderEpoch: 0, now: 0) }
        log.closeWithoutFlush()
        // A torn write: half of a sixth batch reached the file.
        let path = SegmentFiles.path(dir.path, 0, ".log")
        var torn = Batches.make(["torn"]).bytes
        torn.setInteger(Int64(5), at: 0)
        let half = Array(torn.readableBytesView.prefix(torn.readableBytes / 2))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(half))
        try handle.close()
        let reopened = try TestLog.open(dir.path)
        #expect(reopened.logEndOffset == 5)
        #expect(try Fetched.values(reopened) == ["v0", "v1", "v2", "v3", "v4"])
        #expect(try Posix.fileSize(path) == reopened.sizeInBytes.asInt)
        let next = try reopened.appendAsLeader([Batches.make(["after"])], leaderEpoch: 0, now: 0)
        #expect(next.firstOffset == 5)
    }

    @Test func corruptBatchEndsTheLogAndLaterSegmentsGo() throws {
        let dir = TempDirectory()
        let config = TestLog.config(segmentBytes: 1024)
        let log = try TestLog.open(dir.path, config: config)
        for i in 0..<12 { _ = try log.appendAsLeader([Batches.sized(300, tag: "\(i % 10)")], leaderEpoch: 0, now: 0) }
        let bases = log.segmentBaseOffsets
        #expect(bases.count >= 4)
        log.closeWithoutFlush()
        // Flip a byte inside the second batch of the second segment.
        let path = SegmentFiles.path(dir.path, bases[1], ".log")
        let first = Batches.sized(300).totalSize
        try flipByte(path, at: first + 100)
        let reopened = try TestLog.open(dir.path, config: config, recoveryPoint: 0)
        #expect(reopened.logEndOffset == bases[1] + 1)
        #expect(reopened.segmentBaseOffsets == [bases[0], bases[1]])
        for batch in try Fetched.read(reopened, from: 0) { try batch.validate() }
    }

    @Test func recoveryPointLimitsTheScan() throws {
        let dir = TempDirectory()
        let config = TestLog.config(segmentBytes: 1024)
        let log = try TestLog.open(dir.path, config: config)
        for i in 0..<12 { _ = try log.appendAsLeader([Batches.sized(300, tag: "\(i % 10)")], leaderEpoch: 0, now: 0) }
        let bases = log.segmentBaseOffsets
        let recoveryPoint = log.recoveryPoint
        #expect(recoveryPoint == bases.last!)  // rolls flush the segments before the new one
        log.closeWithoutFlush()
        // Damage below the recovery point is not looked for (as in Kafka); above it, it is found.
        let reopened = try TestLog.open(dir.path, config: config, recoveryPoint: recoveryPoint)
        #expect(reopened.logEndOffset == 12)
        reopened.closeWithoutFlush()
        try flipByte(SegmentFiles.path(dir.path, bases.last!, ".log"), at: 70)
        let again = try TestLog.open(dir.path, config: config, recoveryPoint: recoveryPoint)
        #expect(again.logEndOffset == bases.last!)
    }

    @Test func damagedIndexFilesAreRebuilt() throws {
        let dir = TempDirectory()
        let config = TestLog.config(segmentBytes: 2048, indexInterval: 100)
        do {
            let log = try TestLog.open(dir.path, config: config)
            for i in 0..<20 { _ = try log.appendAsLeader([Batches.sized(200, tag: "\(i % 10)")], leaderEpoch: 0, now: 0) }
            try log.close()
        }
        // A torn index (not a multiple of the entry size) and a nonsense time index.
        let index = SegmentFiles.path(dir.path, 0, ".index")
        let bytes = try #require(try AtomicFile.read(index))
        try AtomicFile.write(Array(bytes.dropLast(3)), to: index)
        try AtomicFile.write([UInt8](repeating: 0xFF, count: 24), to: SegmentFiles.path(dir.path, 0, ".timeindex"))
        let log = try TestLog.open(dir.path, config: config, clean: true)
        #expect(log.logEndOffset == 20)
        for offset in Int64(0)..<20 {
            #expect(try Fetched.read(log, from: offset, maxBytes: 1).first?.baseOffset == offset)
        }
        #expect(try log.offset(forTimestamp: 0)?.offset == 0)
    }

    @Test func leftoverTempFilesAreRemoved() throws {
        let dir = TempDirectory()
        do {
            let log = try TestLog.open(dir.path)
            _ = try log.appendAsLeader([Batches.make(["a"])], leaderEpoch: 0, now: 0)
            try log.close()
        }
        try AtomicFile.write([1, 2, 3], to: dir.sub("leader-epoch-checkpoint.tmp"))
        try AtomicFile.write([1, 2, 3], to: dir.sub("00000000000000000000.log.cleaned"))
        try AtomicFile.write([1, 2, 3], to: dir.sub("00000000000000000099.index"))
        _ = try TestLog.open(dir.path)
        let names = try Posix.listDirectory(dir.path)
        #expect(!names.contains { $0.hasSuffix(".tmp") || $0.hasSuffix(".cleaned") })
        #expect(!names.contains("00000000000000000099.index"))
    }
}

func flipByte(_ path: String, at position: Int, mask: UInt8 = 0x5A) throws {
    let file = try StorageFile(path: path, create: false)
    defer { file.close() }
    var byte = try file.readBuffer(count: 1, at: position)
    let value = byte.readInteger(as: UInt8.self)!
    var out = ByteBuffer()
    out.writeInteger(value ^ mask)
    try file.write(out, at: position)
}

extension Int64 {
    var asInt: Int { Int(self) }
}
