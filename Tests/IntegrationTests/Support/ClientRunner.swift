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

    /// Runs `executable` with `arguments`, feeding `input`, killing it after `timeout` seconds.
    static func run(_ executable: String, _ arguments: [String], input: Data? = nil, timeout: TimeInterval = 120) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-client-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Files rather than pipes: nothing blocks on a full pipe buffer, whatever the output size.
        let outPath = directory.appendingPathComponent("out").path, errPath = directory.appendingPathComponent("err").path
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        if let input {
            let inPath = directory.appendingPathComponent("in").path
            FileManager.default.createFile(atPath: inPath, contents: input)
            process.standardInput = FileHandle(forReadingAtPath: inPath)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        let timedOut = process.isRunning
        if timedOut {
            process.terminate()
            BrokerProcess.waitForExit(process, seconds: 10)
        }
        let output = Output(status: process.terminationStatus,
                            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        if timedOut { throw Failure(description: "\(executable) timed out after \(timeout) s; stderr:\n\(output.stderr.suffix(3000))") }
        return output
    }

    /// Runs a client script from `Clients/` with python3; fails unless it exits 0.
    static func python(_ script: String, _ arguments: [String], timeout: TimeInterval = 120) throws -> Output {
        let path = clientsDirectory.appendingPathComponent(script).path
        let output = try run("python3", [path] + arguments, timeout: timeout)
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
        (try? ClientRunner.run("sh", ["-c", "command -v \(name)"], timeout: 10).status) == 0
    }

    static func pythonModule(_ name: String) -> Bool {
        (try? ClientRunner.run("python3", ["-c", "import \(name)"], timeout: 30).status) == 0
    }

    /// Whether a test of `client` should run: when it is installed, or when CI requires it (to fail).
    static func shouldRun(_ available: Bool) -> Bool { available || required }
}
