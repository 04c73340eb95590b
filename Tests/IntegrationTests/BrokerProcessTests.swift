import Foundation
import KafkaProtocol
import Testing

/// The `sluice broker` command as a process: configuration, readiness, signals, parent death.
@Suite struct BrokerProcessTests {
    @Test func readsKafkaPropertiesAndFlagsOverrideThem() throws {
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
        let broker = try BrokerProcess(arguments: ["--config", file, "--set", "num.partitions=4", "--exit-with-parent"])
        try broker.start()
        let connection = try RawKafkaConnection(port: broker.port)
        let metadata = try connection.roundTrip(MetadataRequest(topics: [.init(name: "auto")]), version: 9)
        #expect(metadata.brokers.map(\.nodeId) == [7])
        #expect(metadata.brokers.map(\.port) == [Int32(broker.port)])
        #expect(metadata.topics.first?.partitions.count == 4, "--set overrides the file")
        let configs = try connection.roundTrip(DescribeConfigsRequest(resources: [
            .init(resourceType: 4, resourceName: "7", configurationKeys: ["message.max.bytes"])]), version: 1)
        #expect(configs.results.first?.configs.map(\.value) == ["2000000"])
        #expect(broker.stderrTail().contains("some.unknown.key"), "unknown keys are warned about")
        #expect(FileManager.default.fileExists(atPath: probe.dataDirectory + "/data/auto-0"))
        #expect(broker.stop() == 0, "SIGTERM is a clean shutdown")
    }

    @Test func invalidSettingsStopStartupNamingTheKey() throws {
        let broker = try BrokerProcess(extraArguments: ["--set", "log.retention.ms=soon"])
        #expect(throws: BrokerProcess.Failure.self) { try broker.start() }
        #expect(broker.stderrTail().contains("log.retention.ms"))
        #expect(!broker.isRunning)
    }

    @Test func secondBrokerOnTheSameDirectoryIsRefused() throws {
        let first = try BrokerProcess()
        try first.start()
        let second = try BrokerProcess(arguments: ["--listen", "127.0.0.1:0", "--data-dir", first.dataDirectory])
        #expect(throws: BrokerProcess.Failure.self) { try second.start() }
        #expect(second.stderrTail().contains("in use"))
        #expect(first.stop() == 0)
    }

    @Test func exitsWithItsParent() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-parent-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A shell starts the broker in the background, prints its pid, and waits; then the shell is killed.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "\"$0\" broker --listen 127.0.0.1:0 --data-dir \"$1\" --exit-with-parent >/dev/null 2>&1 & echo $!; wait",
                           BrokerProcess.binary, dir]
        let out = Pipe()
        shell.standardOutput = out
        try shell.run()
        let reader = LineReader(out.fileHandleForReading)
        let pid = try #require(reader.nextLine(deadline: Date().addingTimeInterval(20)).flatMap { Int32($0) })
        // Wait until the broker has created its data directory lock (it is up).
        let lockDeadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: dir + "/.lock") && Date() < lockDeadline { usleep(50_000) }
        kill(shell.processIdentifier, SIGKILL)
        BrokerProcess.waitForExit(shell, seconds: 10)
        let deadline = Date().addingTimeInterval(15)
        while Self.isAlive(pid) && Date() < deadline { usleep(50_000) }
        #expect(!Self.isAlive(pid), "the broker exited after its parent died")
        if Self.isAlive(pid) { kill(pid, SIGKILL) }
    }

    /// Alive and not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return !status.contains("State:\tZ")
    }
}
