import Foundation

/// Runs the real Kafka clients (kcat, Python scripts) and captures what they print.
enum ClientRunner {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }

        /// The JSON objects the client scripts print, one per line.
        var records: [[String: Any]] {
            lines.compactMap { line in
                guard line.hasPrefix("{"), let data = line.data(using: .utf8) else { return nil }
                return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            }
        }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static var clientsDirectory: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Clients") }

    /// Runs `executable` with `arguments`, feeding `input`, stopping it after `timeout` seconds
    /// (SIGTERM, SIGKILL 10 s later); its exit is awaited, no thread waits for it.
    static func run(_ executable: String, _ arguments: [String], input: Data? = nil, timeout: TimeInterval = 120) async throws -> Output {
        let files = try OutputFiles(input: input)
        defer { files.remove() }
        let child = ChildProcess("/usr/bin/env", [executable] + arguments)
        files.attach(to: child.process)
        try await child.start()
        let timedOut = await !child.exited(within: .seconds(timeout))
        if timedOut { await child.stop(grace: .seconds(10)) }
        let output = files.output(status: child.exitStatus ?? -1)
        if timedOut { throw Failure(description: "\(executable) timed out after \(timeout) s; stderr:\n\(output.stderr.suffix(3000))") }
        return output
    }

    /// Runs `executable` to its end on the calling thread. Only for the availability checks of
    /// `Clients`, which are `static let`s evaluated once, synchronously, while Swift Testing reads
    /// the tests' `.enabled(if:)` traits; every test uses the async ``run(_:_:input:timeout:)``.
    @available(*, noasync, message: "blocks its thread: use the async run")
    static func runBlocking(_ executable: String, _ arguments: [String], timeout: TimeInterval) throws -> Output {
        let files = try OutputFiles(input: nil)
        defer { files.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        files.attach(to: process)
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            exited.wait()
        }
        return files.output(status: process.terminationStatus)
    }

    /// Files rather than pipes for a client's standard streams: nothing blocks on a full pipe
    /// buffer, whatever the output size.
    private struct OutputFiles {
        let directory: URL
        let outPath: String, errPath: String, inPath: String?

        init(input: Data?) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-client-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            outPath = directory.appendingPathComponent("out").path
            errPath = directory.appendingPathComponent("err").path
            FileManager.default.createFile(atPath: outPath, contents: nil)
            FileManager.default.createFile(atPath: errPath, contents: nil)
            if let input {
                let path = directory.appendingPathComponent("in").path
                FileManager.default.createFile(atPath: path, contents: input)
                inPath = path
            } else {
                inPath = nil
            }
        }

        func attach(to process: Process) {
            process.standardOutput = FileHandle(forWritingAtPath: outPath)
            process.standardError = FileHandle(forWritingAtPath: errPath)
            process.standardInput = inPath.map { FileHandle(forReadingAtPath: $0) as Any } ?? FileHandle.nullDevice
        }

        func output(status: Int32) -> Output {
            Output(status: status, stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// Runs a client script from `Clients/` with python3; fails unless it exits 0.
    static func python(_ script: String, _ arguments: [String], timeout: TimeInterval = 120) async throws -> Output {
        let path = clientsDirectory.appendingPathComponent(script).path
        let output = try await run("python3", [path] + arguments, timeout: timeout)
        guard output.status == 0 else {
            throw Failure(description: "\(script) \(arguments.joined(separator: " ")) exited \(output.status):\n\(output.stdout.suffix(3000))\n\(output.stderr.suffix(3000))")
        }
        return output
    }
}

/// Which real clients this machine has. Under `SLUICE_REQUIRE_CLIENTS=1` (CI) a missing client
/// fails its tests; otherwise they are skipped, saying what is missing.
enum Clients {
    static var required: Bool { ProcessInfo.processInfo.environment["SLUICE_REQUIRE_CLIENTS"] == "1" }

    static let kcat = commandExists("kcat")
    static let confluentKafka = pythonModule("confluent_kafka")
    static let kafkaPython = pythonModule("kafka")
    static let aiokafka = pythonModule("aiokafka")

    static func commandExists(_ name: String) -> Bool {
        (try? ClientRunner.runBlocking("sh", ["-c", "command -v \(name)"], timeout: 10).status) == 0
    }

    static func pythonModule(_ name: String) -> Bool {
        (try? ClientRunner.runBlocking("python3", ["-c", "import \(name)"], timeout: 30).status) == 0
    }

    /// Whether a test of `client` should run: when it is installed, or when CI requires it (to fail).
    static func shouldRun(_ available: Bool) -> Bool { available || required }
}
