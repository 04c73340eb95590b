#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceRaft
import Testing

/// Kills `sluice raft-tool crash-loop` (a single-voter quorum committing to a `DiskRaftStore`)
/// with SIGKILL at random points, then checks in-process that every record it reported as
/// committed is still there, unchanged, and that the node restarts from what survived.
///
/// Why a child process: SIGKILL stops the writer between any two system calls — in the middle of
/// a multi-step snapshot install, a segment roll, a torn append — which abandoning a store inside
/// this process cannot do (it would only stop between whole operations). Neither models power
/// loss (the page cache survives a SIGKILL); the fsync-before-acknowledge order is what covers
/// that, and the torn-tail tests cover the damage it would leave.
@Suite(.serialized, .onTestThreads) struct DiskStoreKillTests {
    static func sluiceBinary() -> String? {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["SLUICE_BINARY"] { candidates.append(explicit) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/sluice").path)
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("sluice").path)
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Acknowledged: Equatable {
        let epoch: Int32
        let payload: String
    }

    @Test func committedRecordsSurviveSIGKILLAtRandomPoints() async throws {
        guard let binary = Self.sluiceBinary() else {
            Issue.record("the sluice executable was not found; build it (swift build) or set SLUICE_BINARY")
            return
        }
        let directory = temporaryDirectory("kill")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        var rng = SplitMix64(seed: seed)
        var acknowledged: [Int64: Acknowledged] = [:]
        var lastEpoch: Int32 = 0
        let store = directory + "/store"

        for round in 0..<6 {
            let outputPath = "\(directory)/out-\(round).txt"
            _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
            let output = try #require(FileHandle(forWritingAtPath: outputPath))
            let process = ChildProcess(binary, [
                "raft-tool", "crash-loop", "--dir", store,
                "--snapshot-every", String(10 + rng.below(60)), "--segment-bytes", String(200 + rng.below(3000)),
            ])
            process.process.standardOutput = output
            process.process.standardError = FileHandle.nullDevice
            try await process.start()
            // Let it commit a random number of records, then kill it wherever it is.
            let target = 20 + rng.below(300)
            _ = await eventually(timeout: .seconds(60), every: .milliseconds(2)) {
                let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
                return text.components(separatedBy: "committed ").count > target || !process.isRunning
            }
            // Killed on a thread of its own: a task's sleep ends when the busy pool gets to it.
            let delay = UInt32(rng.below(20_000)), pid = process.pid
            await offPool {
                usleep(delay)
                kill(pid, SIGKILL)
            }
            await process.kill9()
            output.closeFile()
            #expect(process.process.terminationReason == .uncaughtSignal, "round \(round) (seed \(seed)): the child exited on its own")

            // Only complete lines were acknowledged.
            let text = try String(contentsOfFile: outputPath, encoding: .utf8)
            var lines = text.components(separatedBy: "\n")
            lines.removeLast()
            var printed = 0
            for line in lines {
                let fields = line.split(separator: " ")
                if fields.first == "leader", fields.count == 3, let epoch = Int32(fields[2]) {
                    lastEpoch = max(lastEpoch, epoch)
                } else if fields.first == "committed", fields.count == 4, let offset = Int64(fields[1]), let epoch = Int32(fields[2]) {
                    let record = Acknowledged(epoch: epoch, payload: String(fields[3]))
                    if let earlier = acknowledged[offset] {
                        #expect(earlier == record, "offset \(offset) changed across a restart (seed \(seed))")
                    }
                    acknowledged[offset] = record
                    printed += 1
                }
            }
            #expect(printed > 0, "round \(round): nothing committed before the kill (seed \(seed))")

            let loaded = try DiskRaftStore(directory: store).load()
            let node = try RaftNode(
                config: RaftConfig(nodeID: 1, voters: try VoterSet([1]), randomSeed: 1), persisted: loaded
            )
            #expect(loaded.quorumState.epoch >= lastEpoch, "seed \(seed)")
            let snapshotEnd = node.log.startOffset
            for (offset, record) in acknowledged where offset >= snapshotEnd {
                let entry = node.log.entry(at: offset)
                guard case .data(let bytes)? = entry?.payload else {
                    Issue.record("round \(round): acknowledged record \(offset) is gone (seed \(seed))")
                    continue
                }
                let payload = bytes.map { String($0, radix: 16) }.joined(separator: ".")
                #expect(entry?.epoch == record.epoch && payload == record.payload, "offset \(offset) (seed \(seed))")
            }
            if let snapshot = node.snapshot {
                // The tool's snapshot counts the records below its end offset.
                var count: UInt64 = 0
                for (index, byte) in snapshot.data.prefix(8).enumerated() { count |= UInt64(byte) << UInt64(index * 8) }
                #expect(count == UInt64(acknowledged.keys.filter { $0 < snapshot.id.offset }.count), "seed \(seed)")
            }
        }
        #expect(acknowledged.count > 100)
    }
}
