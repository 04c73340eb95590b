import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `sluice broker` process on a free port with a temporary data directory.
///
/// The binary is `.build/debug/sluice` under the package root; build it first with
/// `swift build --product sluice` (`.ci/run` does). Set `SLUICE_BINARY` to use another one.
final class BrokerProcess {
    let dataDirectory: String
    private(set) var process: Process?
    private(set) var port: Int = 0
    private(set) var stderrPath: String
    private let extraArguments: [String]
    private let replaceArguments: [String]?

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static var binary: String {
        ProcessInfo.processInfo.environment["SLUICE_BINARY"]
            ?? packageRoot.appendingPathComponent(".build/debug/sluice").path
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// `extraArguments` follow the defaults (node 1, a free port, the temporary directory);
    /// `arguments` replaces them (with `{dir}` standing for the temporary directory).
    init(extraArguments: [String] = [], arguments: [String]? = nil) throws {
        dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-it-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        stderrPath = dataDirectory + ".stderr"
        self.extraArguments = extraArguments
        self.replaceArguments = arguments
    }

    var bootstrap: String { "127.0.0.1:\(port)" }

    /// Starts the broker and waits (up to 60 s) for its "listening on" line; returns the time that took.
    @discardableResult
    func start() throws -> TimeInterval {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw Failure(description: "\(Self.binary) is missing: run `swift build --product sluice` first")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = replaceArguments.map { ["broker"] + $0.map { $0.replacingOccurrences(of: "{dir}", with: dataDirectory) } }
            ?? ["broker", "--node-id", "1", "--listen", "127.0.0.1:0", "--data-dir", dataDirectory,
                "--exit-with-parent", "--log-level", "info"] + extraArguments
        let stdout = Pipe()
        process.standardOutput = stdout
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        let started = Date()
        try process.run()
        self.process = process
        let reader = LineReader(stdout.fileHandleForReading)
        while let line = reader.nextLine(deadline: started.addingTimeInterval(60)) {
            if let range = line.range(of: " listening on "),
               let port = Int(line[range.upperBound...].split(separator: ":").last ?? "") {
                self.port = port
                // Keep draining stdout so that the broker never blocks on a full pipe.
                reader.drainInBackground()
                return Date().timeIntervalSince(started)
            }
        }
        if process.isRunning { kill9() } else { Self.waitForExit(process, seconds: 10) }
        throw Failure(description: "the broker did not report readiness; stderr:\n\(stderrTail())")
    }

    /// SIGKILL: a crash, no clean shutdown.
    func kill9() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        Self.waitForExit(process, seconds: 30)
    }

    /// SIGTERM and wait (up to 30 s, then SIGKILL) for the exit; returns the exit status, -1
    /// when it had to be killed.
    @discardableResult
    func stop() -> Int32 {
        guard let process else { return -1 }
        if process.isRunning {
            process.terminate()
            if !Self.waitForExit(process, seconds: 30) {
                kill9()
                return -1
            }
        }
        return process.terminationStatus
    }

    /// Polls instead of `waitUntilExit`, which can stall when several threads run processes.
    @discardableResult
    static func waitForExit(_ process: Process, seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return !process.isRunning
    }

    var isRunning: Bool { process?.isRunning ?? false }

    func stderrTail(_ count: Int = 40) -> String {
        let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(count).joined(separator: "\n")
    }

    /// The resident set size of the broker process in KiB (from /proc).
    func rssKiB() -> Int? {
        guard let pid = process?.processIdentifier,
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
    }

    deinit {
        if process?.isRunning == true { kill9() }
        try? FileManager.default.removeItem(atPath: dataDirectory)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }
}

/// Reads lines from a pipe with a deadline (poll(2) on the descriptor).
final class LineReader {
    // Used by one thread at a time: the test thread until drainInBackground hands it over.
    private let handle: FileHandle
    private var buffer = Data()

    init(_ handle: FileHandle) { self.handle = handle }

    func nextLine(deadline: Date) -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var pfd = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(remaining, 1) * 1000))
            if ready < 0 { return nil }
            if ready == 0 { continue }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    func drainInBackground() {
        let handle = self.handle
        Thread.detachNewThread {
            while !handle.availableData.isEmpty {}
        }
    }
}
