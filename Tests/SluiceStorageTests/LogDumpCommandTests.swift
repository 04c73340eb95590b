import Foundation
import KafkaProtocol
@testable import SluiceStorage
import Testing

/// `sluice log dump`, run as a user would, on a partition directory.
@Suite(.onTestThreads) struct LogDumpCommandTests {
    func dump(_ args: [String]) async throws -> (status: Int32, output: String) {
        let directory = TempDirectory("dump-output")
        defer { withExtendedLifetime(directory) {} }
        let output = directory.sub("out")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = ChildProcess(try await SluiceBinary.path(), ["log", "dump"] + args)
        // One handle for both streams, as one pipe was: two would each write from offset 0.
        let handle = FileHandle(forWritingAtPath: output)
        process.process.standardOutput = handle
        process.process.standardError = handle
        try await process.start()
        if !(await process.exited(within: .seconds(120))) { await process.kill9() }
        return (process.exitStatus ?? -1, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    @Test func printsSegmentsBatchesAndDamage() async throws {
        let dir = TempDirectory("dump")
        let log = try TestLog.open(dir.path, config: TestLog.config(segmentBytes: 400, indexInterval: 0))
        _ = try log.appendAsLeader([Batches.make(["hello", "world"], keys: ["k1", nil])], leaderEpoch: 3, now: 0)
        for i in 0..<4 { _ = try log.appendAsLeader([Batches.sized(150, tag: "\(i)")], leaderEpoch: 3, now: 0) }
        try log.close()
        let (status, out) = try await dump([dir.path, "--records"])
        #expect(status == 0)
        #expect(out.contains("Dumping \(dir.path)/00000000000000000000.log"))
        #expect(out.contains("baseOffset: 0 lastOffset: 1 count: 2"))
        #expect(out.contains("partitionLeaderEpoch: 3"))
        #expect(out.contains("| offset: 0 CreateTime: 1000 keySize: 2 valueSize: 5 headerKeys: [] key: k1 payload: hello"))
        #expect(out.contains("| offset: 1 CreateTime: 1000 keySize: -1 valueSize: 5 headerKeys: [] payload: world"))
        #expect(out.components(separatedBy: "isvalid: true").count - 1 == 5)
        #expect(out.contains("leader epochs: 3@0"))
        #expect(try await dump([dir.path, "--strict"]).status == 0)

        // A flipped bit shows as an invalid batch, and --strict fails.
        try flipByte(SegmentFiles.path(dir.path, 0, ".log"), at: 80)
        let damaged = try await dump([dir.path, "--strict"])
        #expect(damaged.output.contains("isvalid: false"))
        #expect(damaged.status == 1)
        #expect(try await dump([dir.path + "/nope"]).status != 0)
    }
}
