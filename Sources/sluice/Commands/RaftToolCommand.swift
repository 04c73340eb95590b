import ArgumentParser
import Foundation
import SluiceRaft

/// Hidden developer tools for the Raft core. `crash-loop` runs a single-voter quorum on a
/// `DiskRaftStore` and commits records as fast as the disk allows, printing each one after it
/// is durable and applied; SluiceRaftTests kills it with SIGKILL at random points and checks
/// that nothing it printed is lost or changed.
struct RaftToolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft-tool",
        abstract: "Developer tools for the Raft core (for tests).",
        shouldDisplay: false,
        subcommands: [CrashLoop.self]
    )

    struct CrashLoop: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crash-loop",
            abstract: "Commit records on a disk store forever, printing `committed <offset> <epoch> <payload>` lines."
        )

        @Option(help: "The store's directory.")
        var dir: String

        @Option(help: "Snapshot (and drop the log prefix) every this many applied records.")
        var snapshotEvery: Int = 40

        @Option(help: "Log segment size in bytes (small values exercise rolling).")
        var segmentBytes: Int = 4096

        @Option(help: "Stop after this many commits (0: run until killed).")
        var limit: Int = 0

        func run() throws {
            let store = try DiskRaftStore(directory: dir, segmentBytes: segmentBytes)
            let config = RaftConfig(
                nodeID: 1, voters: try VoterSet([1]), electionTimeoutTicks: 2, electionBackoffMaxTicks: 2,
                fetchTimeoutTicks: 4, fetchMaxWaitTicks: 1, requestTimeoutTicks: 2,
                randomSeed: UInt64.random(in: 0...UInt64.max)
            )
            var node = try RaftNode(config: config, persisted: try store.load())
            var app = CounterMachine()
            // The record count after each applied offset, so a snapshot can be taken some way
            // behind the applied end (as an application snapshotting in the background would),
            // leaving live records in the log's first segment.
            var countAfter: [Int64: UInt64] = [:]
            var committed = 0
            var next = UInt64(Date().timeIntervalSince1970 * 1000) << 16
            let out = FileHandle.standardOutput
            while limit == 0 || committed < limit {
                node.tick()
                if node.role == .leader {
                    for _ in 0..<4 {
                        next += 1
                        _ = try node.propose(withUnsafeBytes(of: next.littleEndian) { Array($0) })
                    }
                }
                while node.hasReady {
                    let ready = node.ready()
                    try store.persist(ready.persistence)
                    var lines = ""
                    if let change = ready.leaderChange {
                        lines += "leader \(change.leaderID.map(String.init) ?? "-") \(change.epoch)\n"
                    }
                    if let snapshot = ready.restoreSnapshot {
                        app = CounterMachine(snapshot: snapshot.data)
                        countAfter = [snapshot.id.offset: app.records]
                    }
                    for entry in ready.committedEntries {
                        defer { countAfter[entry.offset + 1] = app.records }
                        guard case .data(let bytes) = entry.payload else { continue }
                        app.records += 1
                        committed += 1
                        lines += "committed \(entry.offset) \(entry.epoch) \(bytes.map { String($0, radix: 16) }.joined(separator: "."))\n"
                    }
                    if !lines.isEmpty { out.write(Data(lines.utf8)) }
                    node.advance(ready)
                    let end = node.appliedOffset - Int64(snapshotEvery / 2)
                    if end - node.log.startOffset >= Int64(snapshotEvery), let count = countAfter[end] {
                        try node.takeSnapshot(endOffset: end, data: CounterMachine(records: count).snapshotData)
                        countAfter = countAfter.filter { $0.key >= end }
                    }
                }
            }
        }
    }

    /// The tool's application state: a count of applied records.
    struct CounterMachine {
        var records: UInt64 = 0

        init(records: UInt64 = 0) {
            self.records = records
        }

        init(snapshot: [UInt8]) {
            for (index, byte) in snapshot.prefix(8).enumerated() { records |= UInt64(byte) << UInt64(index * 8) }
        }

        var snapshotData: [UInt8] { withUnsafeBytes(of: records.littleEndian) { Array($0) } }
    }
}
