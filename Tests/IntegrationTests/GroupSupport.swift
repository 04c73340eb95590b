import Foundation
import KafkaProtocol

/// A broker process for the consumer-group interop tests: short session timeouts allowed and no
/// initial rebalance delay, so that rebalances take about a second; 8 offsets partitions. KIP-848
/// members heartbeat every 500 ms and are removed after 6 s of silence.
enum GroupBroker {
    static let consumerSessionTimeoutMs = 6_000
    static let arguments = [
        "--set", "offsets.topic.num.partitions=8", "--set", "group.initial.rebalance.delay.ms=0",
        "--set", "group.min.session.timeout.ms=1000", "--set", "group.consumer.heartbeat.interval.ms=500",
        "--set", "group.consumer.session.timeout.ms=\(consumerSessionTimeoutMs)",
    ]

    nonisolated(unsafe) private static var instance: BrokerProcess?
    private static let lock = NSLock()

    /// One broker shared by the group tests that do not restart it (killed when the test
    /// process exits).
    static func shared() throws -> BrokerProcess {
        lock.lock()
        defer { lock.unlock() }
        if let instance, instance.isRunning { return instance }
        let broker = try BrokerProcess(extraArguments: arguments)
        try broker.start()
        if instance == nil { atexit { GroupBroker.killShared() } }
        instance = broker
        return broker
    }

    /// `--exit-with-parent` is not enough: the test runner's blocked signals are inherited.
    private static func killShared() {
        instance?.kill9()
    }

    static func createTopic(_ broker: BrokerProcess, _ name: String, partitions: Int32) throws {
        let connection = try RawKafkaConnection(port: broker.port)
        let response = try connection.roundTrip(
            CreateTopicsRequest(topics: [.init(name: name, numPartitions: partitions, replicationFactor: 1)]), version: 4)
        guard response.topics.first?.errorCode == 0 else {
            throw ClientRunner.Failure(description: "creating \(name): error \(response.topics.first?.errorCode ?? -1)")
        }
    }

    static func describeGroup(_ broker: BrokerProcess, _ group: String) throws -> DescribeGroupsResponse.DescribedGroup? {
        let connection = try RawKafkaConnection(port: broker.port)
        _ = try connection.roundTrip(FindCoordinatorRequest(key: group), version: 0)
        return try connection.roundTrip(DescribeGroupsRequest(groups: [group]), version: 5).groups.first
    }

    /// Produces values "m<start>".."m<start+count-1>", message i to partition i % partitions.
    static func produce(_ broker: BrokerProcess, _ topic: String, partitions: Int, start: Int, count: Int) throws {
        _ = try tools(["produce", "--bootstrap", broker.bootstrap, "--topic", topic, "--partitions", "\(partitions)",
                       "--start", "\(start)", "--count", "\(count)"])
    }

    /// Runs `GroupClients/group_tools.py`; fails unless it exits 0.
    static func tools(_ arguments: [String]) throws -> ClientRunner.Output {
        let script = clientsDirectory.appendingPathComponent("group_tools.py").path
        let output = try ClientRunner.run("python3", [script] + arguments, timeout: 60)
        guard output.status == 0 else {
            throw ClientRunner.Failure(description: "group_tools.py \(arguments.joined(separator: " ")) exited \(output.status):\n\(output.stderr.suffix(3000))")
        }
        return output
    }

    static var clientsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("GroupClients")
    }

    /// Waits (polling) for `condition`, up to `seconds`.
    static func waitUntil(_ what: @autoclosure () -> String, seconds: TimeInterval = 30,
                          _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !condition() {
            if Date() > deadline { throw ClientRunner.Failure(description: "timed out after \(seconds) s waiting for \(what())") }
            usleep(50_000)
        }
    }
}

/// A consumer-group member running in its own process (`GroupClients/group_member.py`, or kcat
/// with `-G`), whose output is read as it comes.
final class GroupMember {
    enum Kind: String, CaseIterable, CustomStringConvertible {
        case confluent, kafkaPython = "kafka_python", aiokafka, kcat
        var description: String { rawValue }
        var available: Bool {
            switch self {
            case .confluent: return Clients.confluentKafka
            case .kafkaPython: return Clients.kafkaPython
            case .aiokafka: return Clients.aiokafka
            case .kcat: return Clients.kcat
            }
        }
    }

    let kind: Kind
    let name: String
    private let process = Process()
    private let directory: URL
    private let outPath: String
    private let errPath: String

    /// Starts a member of `group` consuming `topic`; `groupProtocol` "consumer" makes a
    /// confluent-kafka member use KIP-848's protocol (`assignor` is then its remote assignor).
    init(_ kind: Kind, name: String, broker: BrokerProcess, group: String, topic: String, assignor: String? = nil,
         instance: String? = nil, sessionMs: Int = 3000, groupProtocol: String? = nil) throws {
        self.kind = kind
        self.name = name
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-member-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        outPath = directory.appendingPathComponent("out").path
        errPath = directory.appendingPathComponent("err").path
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        if kind == .kcat {
            // Through a wrapper that clears the signal mask inherited from the test runner, so
            // that kcat gets SIGTERM (and commits on close).
            var arguments = ["python3", "-c", Self.execUnblocked, "kcat", "-b", broker.bootstrap, "-G", group, "-u", "-f", "%p %o %s\\n",
                             "-X", "session.timeout.ms=\(sessionMs)", "-X", "heartbeat.interval.ms=300"]
            if let assignor { arguments += ["-X", "partition.assignment.strategy=\(assignor)"] }
            process.arguments = arguments + [topic]
        } else {
            var arguments = ["python3", GroupBroker.clientsDirectory.appendingPathComponent("group_member.py").path,
                             "--client", kind.rawValue, "--bootstrap", broker.bootstrap, "--group", group,
                             "--topic", topic, "--session-ms", "\(sessionMs)"]
            if let assignor { arguments += ["--assignor", assignor] }
            if let instance { arguments += ["--instance", instance] }
            if let groupProtocol { arguments += ["--protocol", groupProtocol] }
            process.arguments = arguments
        }
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Python that clears the signal mask, then executes its arguments.
    static let execUnblocked = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, set()); os.execvp(sys.argv[1], sys.argv[1:])"

    /// Set when a test fails waiting on this member: its output stays for a post-mortem (as it
    /// does for every member under GROUP_TEST_KEEP=1).
    var keepOutput = ProcessInfo.processInfo.environment["GROUP_TEST_KEEP"] != nil

    deinit {
        if process.isRunning { kill9() }
        if !keepOutput {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    var isRunning: Bool { process.isRunning }

    /// Where the member's output is.
    var outputDirectory: String { directory.path }

    /// Clean stop: the client closes, leaving the group (SIGTERM). A member still running 20 s
    /// later is killed, and the test fails.
    func terminate() throws {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill9()
            throw ClientRunner.Failure(description: "\(name) ignored SIGTERM; stderr:\n\(stderrTail)")
        }
    }

    /// A crash: no goodbye to the group (SIGKILL).
    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    private var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderrTail: String { String(((try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "").suffix(2000)) }

    private var events: [[String: Any]] {
        stdout.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("{"), let data = line.data(using: .utf8) else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
    }

    /// Every assignment the member reported, in order (kcat: its "rebalanced" lines).
    var assignments: [Set<Int>] {
        if kind == .kcat {
            // "% Group g rebalanced (memberid m): assigned: t [0], t [1]" / "... revoked: ..."
            let text = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            var current: Set<Int> = []
            var history: [Set<Int>] = []
            for line in text.split(separator: "\n") where line.contains("rebalanced") {
                let partitions = Set(line.split(separator: "[").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) })
                if line.contains("assigned:") { current = partitions } else if line.contains("revoked:") { current = [] }
                history.append(current)
            }
            return history
        }
        return events.filter { $0["event"] as? String == "assigned" }.map { Set($0["partitions"] as? [Int] ?? []) }
    }

    var assignment: Set<Int>? { assignments.last }

    /// The values of the records consumed (and, for the Python members, committed).
    var values: [String] {
        if kind == .kcat {
            return stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
        }
        return events.filter { $0["event"] as? String == "record" }.compactMap { $0["value"] as? String }
    }

    var stoppedCleanly: Bool { events.contains { $0["event"] as? String == "stopped" } }
}

extension Array where Element == GroupMember {
    /// Every partition of `0..<partitions` is owned by exactly one of these members and each
    /// owns at least one (when there are enough partitions).
    func ownExactly(_ partitions: Int) -> Bool {
        let owned = map { $0.assignment ?? [] }
        let total = owned.reduce(0) { $0 + $1.count }
        let union = owned.reduce(into: Set<Int>()) { $0.formUnion($1) }
        let everyoneHasSome = count > partitions || owned.allSatisfy { !$0.isEmpty }
        return total == partitions && union == Set(0..<partitions) && everyoneHasSome
    }

    func describeAssignments() -> String {
        map { "\($0.name)=\(($0.assignment ?? []).sorted())" }.joined(separator: " ")
    }

    /// How many times each value was consumed, over all these members.
    var consumedCounts: [String: Int] {
        reduce(into: [:]) { counts, member in
            for v in member.values { counts[v, default: 0] += 1 }
        }
    }
}
