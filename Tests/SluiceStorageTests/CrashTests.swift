import Foundation
import KafkaProtocol
@testable import SluiceStorage
import SluiceBase
import Testing

/// kill -9 at random moments: a child `sluice log crash-writer` appends and reports each batch
/// after its append returned; after every kill, the data directory is recovered and every
/// reported batch must be there, intact, at its reported offsets, with nothing torn or corrupt.
@Suite(.serialized) struct CrashTests {
    struct Mode {
        var segmentBytes: Int32
        var flushMessages: Int64
        var logAppendTime: Bool
    }

    static let modes = [
        Mode(segmentBytes: 32 * 1024, flushMessages: .max, logAppendTime: false),
        Mode(segmentBytes: 64 * 1024, flushMessages: .max, logAppendTime: true),
        Mode(segmentBytes: 1024 * 1024, flushMessages: 1, logAppendTime: false),
        Mode(segmentBytes: 256 * 1024, flushMessages: 50, logAppendTime: false),
        Mode(segmentBytes: 48 * 1024, flushMessages: .max, logAppendTime: true),
    ]

    @Test func reportedBatchesSurviveSigkill() throws {
        let binary = try SluiceBinary.path()
        let runs = Int(ProcessInfo.processInfo.environment["CRASH_RUNS"] ?? "") ?? 50
        let seed = UInt64(ProcessInfo.processInfo.environment["SIM_SEED"] ?? "") ?? UInt64.random(in: 1...1_000_000)
        var rng = SplitMix(seed: seed)
        let started = Date()
        var totalReported = 0
        var dir = TempDirectory("crash")
        for run in 0..<runs {
            let mode = Self.modes[(run / 10) % Self.modes.count]
            if run % 10 == 0 { dir = TempDirectory("crash") }
            let outPath = dir.sub("out-\(run).txt")
            _ = FileManager.default.createFile(atPath: outPath, contents: nil)
            let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
            let child = Process()
            child.executableURL = URL(fileURLWithPath: binary)
            var args = ["log", "crash-writer", "--dir", dir.sub("data"), "--seed", "\(seed &+ UInt64(run))",
                        "--segment-bytes", "\(mode.segmentBytes)", "--index-interval-bytes", "700"]
            if mode.flushMessages != .max { args += ["--flush-messages", "\(mode.flushMessages)"] }
            if mode.logAppendTime { args.append("--log-append-time") }
            child.arguments = args
            child.standardOutput = out
            child.standardError = FileHandle.nullDevice
            try child.run()
            // The kill moment is the point of the test: anywhere from start-up (recovery) to
            // the middle of appends.
            usleep(UInt32(10_000 + rng.next() % 240_000))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            try out.close()
            let lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: outPath)), as: UTF8.self)
                .split(separator: "\n").map(String.init)
            let context = "seed \(seed) run \(run) (SIM_SEED=\(seed) reproduces the kill points only roughly)"
            #expect(!lines.contains { $0.hasPrefix("error") }, "\(context): \(lines.filter { $0.hasPrefix("error") })")
            let reported = try Self.verify(dataDirectory: dir.sub("data"), mode: mode, lines: lines, context: context,
                                           clean: rng.next() % 3 == 0)
            totalReported += reported
        }
        #expect(totalReported > runs, "the writer reported only \(totalReported) batches in \(runs) runs")
        _ = started  // about 25 s here: mostly the kill delays and child start-ups
    }

    /// Recovers the directory and checks it against the child's report; returns how many
    /// batches the child reported.
    static func verify(dataDirectory: String, mode: Mode, lines: [String], context: String, clean: Bool) throws -> Int {
        var config = LogConfig()
        config.segmentBytes = mode.segmentBytes
        let manager = try LogManager(directory: dataDirectory, defaults: config, logger: TestLog.logger)
        let reports: [(batch: Int, first: Int64, last: Int64, crc: UInt32)] = lines.compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 5, f[0] == "ok", let n = Int(f[1]), let a = Int64(f[2]), let b = Int64(f[3]), let c = UInt32(f[4])
            else { return nil }
            return (n, a, b, c)
        }
        guard let log = manager.diskLog(for: TopicPartition("crash", 0)) else {
            #expect(reports.isEmpty, "\(context): batches were reported but the log is missing")
            manager.shutdown()
            return 0
        }
        let batches = try Fetched.read(log, from: 0)  // validates every batch's CRC
        var expectedOffset: Int64 = 0
        var byNumber: [Int: RecordBatch] = [:]
        for (index, batch) in batches.enumerated() {
            #expect(batch.baseOffset == expectedOffset, "\(context): batch \(index) starts at \(batch.baseOffset)")
            expectedOffset = batch.nextOffset
            let values = try batch.records().map { String(buffer: $0.value!) }
            let numbers = values.map { $0.split(separator: ":").map(String.init) }
            #expect(numbers.allSatisfy { $0.first == "\(index)" }, "\(context): batch \(index) holds \(values.prefix(1))")
            #expect(numbers.map { $0.count > 1 ? $0[1] : "" } == (0..<values.count).map(String.init))
            byNumber[index] = batch
        }
        #expect(log.logEndOffset == expectedOffset)
        for report in reports {
            guard let batch = byNumber[report.batch] else {
                Issue.record("\(context): reported batch \(report.batch) (\(report.first)...\(report.last)) is lost; log ends at \(log.logEndOffset)")
                continue
            }
            #expect(batch.baseOffset == report.first && batch.lastOffset == report.last, "\(context): batch \(report.batch)")
            if report.crc != 0 { #expect(batch.crc == report.crc, "\(context): batch \(report.batch) changed") }
        }
        if clean { manager.shutdown() } else { for l in manager.diskLogs.values { l.closeWithoutFlush() } }
        return reports.count
    }
}

/// The built `sluice` executable next to the test bundle (built on demand when missing).
enum SluiceBinary {
    static func path() throws -> String {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let directory = (exe as NSString).deletingLastPathComponent
        let candidate = directory + "/sluice"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        // Find the package root above the build directory and build the product.
        var root = directory
        while root != "/" && !FileManager.default.fileExists(atPath: root + "/Package.swift") {
            root = (root as NSString).deletingLastPathComponent
        }
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        build.arguments = ["swift", "build", "--package-path", root, "--product", "sluice"]
        try build.run()
        build.waitUntilExit()
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw StorageError.invalidConfig("no sluice binary at \(candidate) and `swift build --product sluice` did not make one")
        }
        return candidate
    }
}

/// SplitMix64, the tests' seeded generator.
struct SplitMix: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
