import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `sluice broker` process on a free port with a temporary data directory.
///
/// The binary is `.build/debug/sluice` under the package root; build it first with
/// `swift build --product sluice` (`.ci/run` does). Set `SLUICE_BINARY` to use another one.
///
/// Start it with ``with(extraArguments:arguments:_:)``, which stops it (and removes its directory)
/// on every path; a test that starts one itself (`start()`) stops it itself (`stop()`).
final class BrokerProcess: @unchecked Sendable {
    // @unchecked: `child` and `port` change only in start(), which the one test that owns the
    // broker awaits before anything else uses it (a shared broker is handed out started, and is
    // never restarted); everything else is immutable.
    let dataDirectory: String
    private(set) var child: ChildProcess?
    private(set) var port: Int = 0
    let stderrPath: String
    private let stdoutPath: String
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
        stdoutPath = dataDirectory + ".stdout"
        self.extraArguments = extraArguments
        self.replaceArguments = arguments
    }

    /// Runs `body` with a started broker, then stops it (SIGTERM, SIGKILL after 30 s) whether
    /// `body` returned or threw; the directory goes with the object.
    static func with<T>(extraArguments: [String] = [], arguments: [String]? = nil,
                        _ body: (BrokerProcess) async throws -> T) async throws -> T {
        let broker = try BrokerProcess(extraArguments: extraArguments, arguments: arguments)
        return try await withResource(broker, stop: { await $0.stop() }) { broker in
            try await broker.start()
            return try await body(broker)
        }
    }

    var bootstrap: String { "127.0.0.1:\(port)" }

    /// The process, once started: its exit status after it exited.
    var process: Process? { child?.process }

    /// Starts the broker and waits (up to 60 s) for its "listening on" line; returns the time that took.
    @discardableResult
    func start() async throws -> TimeInterval {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw Failure(description: "\(Self.binary) is missing: run `swift build --product sluice` first")
        }
        let arguments = replaceArguments.map { ["broker"] + $0.map { $0.replacingOccurrences(of: "{dir}", with: dataDirectory) } }
            ?? ["broker", "--node-id", "1", "--listen", "127.0.0.1:0", "--data-dir", dataDirectory,
                "--exit-with-parent", "--log-level", "info"] + extraArguments
        let child = ChildProcess(Self.binary, arguments)
        // Files, not pipes: nothing has to drain them, and nothing blocks on a full one.
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        child.process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        child.process.standardError = FileHandle(forWritingAtPath: stderrPath)
        child.process.standardInput = FileHandle.nullDevice
        let started = ContinuousClock.now
        try await child.start()
        self.child = child
        let stdoutPath = stdoutPath
        let listening = { () -> Int? in
            let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            guard let line = text.split(separator: "\n").first(where: { $0.contains(" listening on ") }),
                  let range = line.range(of: " listening on ") else { return nil }
            return Int(line[range.upperBound...].split(separator: ":").last ?? "")
        }
        _ = try? await poll(until: "the listening line", timeout: .seconds(60), every: .milliseconds(20)) {
            listening() != nil || !child.isRunning
        }
        if let port = listening() {
            self.port = port
            return (ContinuousClock.now - started).timeInterval
        }
        if child.isRunning { await child.kill9() } else { await child.exited(within: .seconds(10)) }
        throw Failure(description: "the broker did not report readiness; stderr:\n\(stderrTail())")
    }

    /// SIGKILL: a crash, no clean shutdown; returns once the process is reaped.
    func kill9() async {
        await child?.kill9()
    }

    /// SIGTERM and wait (up to 30 s, then SIGKILL) for the exit; returns the exit status, -1
    /// when it had to be killed (or never started).
    @discardableResult
    func stop() async -> Int32 {
        await child?.stop(grace: .seconds(30)) ?? -1
    }

    var isRunning: Bool { child?.isRunning ?? false }

    func stderrTail(_ count: Int = 40) -> String {
        let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(count).joined(separator: "\n")
    }

    /// The resident set size of the broker process in KiB (from /proc).
    func rssKiB() -> Int? {
        guard let pid = child?.pid,
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
    }

    deinit {
        // The child SIGKILLs a process still running when it goes (without waiting).
        try? FileManager.default.removeItem(atPath: dataDirectory)
        try? FileManager.default.removeItem(atPath: stderrPath)
        try? FileManager.default.removeItem(atPath: stdoutPath)
    }
}
