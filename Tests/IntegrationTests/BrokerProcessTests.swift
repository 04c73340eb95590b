import Foundation
import KafkaProtocol
import Testing

/// The `sluice broker` command as a process: configuration, readiness, signals, parent death.
@Suite(.onTestThreads) struct BrokerProcessTests {
    @Test func readsKafkaPropertiesAndFlagsOverrideThem() async throws {
        let probe = try BrokerProcess()
        let file = probe.dataDirectory + "/broker.properties"
        try """
            node.id=7
            listeners=PLAINTEXT://127.0.0.1:0
            log.dirs=\(probe.dataDirectory)/data
            num.partitions=3
            message.max.bytes=2000000
            some.unknown.key=1
            """.write(toFile: file, atomically: true, encoding: .utf8)
        try await BrokerProcess.with(arguments: ["--config", file, "--set", "num.partitions=4", "--exit-with-parent"]) { broker in
            let connection = try await RawKafkaConnection(port: broker.port)
            let metadata = try await connection.roundTrip(MetadataRequest(topics: [.init(name: "auto")]), version: 9)
            #expect(metadata.brokers.map(\.nodeId) == [7])
            #expect(metadata.brokers.map(\.port) == [Int32(broker.port)])
            #expect(metadata.topics.first?.partitions.count == 4, "--set overrides the file")
            let configs = try await connection.roundTrip(DescribeConfigsRequest(resources: [
                .init(resourceType: 4, resourceName: "7", configurationKeys: ["message.max.bytes"])]), version: 1)
            #expect(configs.results.first?.configs.map(\.value) == ["2000000"])
            #expect(broker.stderrTail().contains("some.unknown.key"), "unknown keys are warned about")
            #expect(FileManager.default.fileExists(atPath: probe.dataDirectory + "/data/auto-0"))
            #expect(await broker.stop() == 0, "SIGTERM is a clean shutdown")
        }
    }

    @Test func invalidSettingsStopStartupNamingTheKey() async throws {
        let broker = try BrokerProcess(extraArguments: ["--set", "log.retention.ms=soon"])
        await #expect(throws: BrokerProcess.Failure.self) { try await broker.start() }
        #expect(broker.stderrTail().contains("log.retention.ms"))
        #expect(!broker.isRunning)
    }

    @Test func secondBrokerOnTheSameDirectoryIsRefused() async throws {
        try await BrokerProcess.with { first in
            let second = try BrokerProcess(arguments: ["--listen", "127.0.0.1:0", "--data-dir", first.dataDirectory])
            await #expect(throws: BrokerProcess.Failure.self) { try await second.start() }
            await second.stop()
            #expect(second.stderrTail().contains("in use"))
            #expect(await first.stop() == 0)
        }
    }

    @Test func exitsWithItsParent() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-parent-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A shell starts the broker in the background, prints its pid, and waits; then the shell is killed.
        let shell = ChildProcess("/bin/sh", ["-c", "\"$0\" broker --listen 127.0.0.1:0 --data-dir \"$1\" --exit-with-parent >/dev/null 2>&1 & echo $!; wait",
                                             BrokerProcess.binary, dir])
        let out = dir + ".out"
        FileManager.default.createFile(atPath: out, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: out) }
        shell.process.standardOutput = FileHandle(forWritingAtPath: out)
        try await shell.start()
        var pid: Int32?
        _ = try? await poll(until: "the broker's pid", timeout: .seconds(20), every: .milliseconds(20)) {
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            pid = text.split(separator: "\n").first.flatMap { Int32($0) }
            return pid != nil
        }
        let broker = try #require(pid)
        // Wait until the broker has created its data directory lock (it is up).
        _ = await eventually(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: dir + "/.lock") }
        await shell.kill9()
        _ = await eventually(timeout: .seconds(15)) { !Self.isAlive(broker) }
        #expect(!Self.isAlive(broker), "the broker exited after its parent died")
        if Self.isAlive(broker) { kill(broker, SIGKILL) }
    }

    /// Alive and not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return !status.contains("State:\tZ")
    }
}
