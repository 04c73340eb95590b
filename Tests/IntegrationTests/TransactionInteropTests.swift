import Foundation
import Testing

/// Kafka transactions with confluent-kafka (librdkafka) against `sluice broker`
/// (`Clients/transactions.py`): commit and abort as read_committed and read_uncommitted consumers
/// see them, an open transaction holding the last stable offset, zombie fencing by a second
/// producer with the same transactional.id, the coordinator aborting a timed-out transaction,
/// and a consume-transform-produce loop whose offsets become visible only with its commit; the
/// same commit, abort and fencing with kafka-python's and aiokafka's transactional producers
/// (`Clients/transactions_python.py`).
@Suite(.onTestThreads) struct TransactionInteropTests {
    /// Timed-out transactions are looked for every 500 ms (Kafka's default is 10 s).
    static let settings = ["--set", "transaction.abort.timed.out.transaction.cleanup.interval.ms=500"]
    private static let instance = SharedBrokerCell { try await BrokerProcess.started(extraArguments: settings) }

    static func run(_ scenario: String, _ extra: [String] = [], topic: String = SharedBroker.topic("txn")) async throws
        -> [String: [String: Any]] {
        let broker = try await instance.get()
        let output = try await ClientRunner.python(
            "transactions.py", [scenario, "--bootstrap", broker.bootstrap, "--topic", topic] + extra,
            timeout: 180)
        var events: [String: [String: Any]] = [:]
        for record in output.records {
            if let name = record["event"] as? String { events[name] = record }
        }
        #expect(events["done"] != nil, "the scenario did not finish: \(output)")
        return events
    }

    static func values(_ event: [String: Any]?) -> [String] { event?["values"] as? [String] ?? ["<missing>"] }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func committedTransactionsAreVisibleAndAbortedOnesAreNot() async throws {
        let events = try await Self.run("commit-abort")
        let committed = (0..<5).map { "c\($0)" } + (0..<3).map { "d\($0)" }
        #expect(Self.values(events["read_committed"]) == committed)
        let all = (0..<5).map { "c\($0)" } + (0..<5).map { "a\($0)" } + (0..<3).map { "d\($0)" }
        #expect(Self.values(events["read_uncommitted"]) == all)
        // 13 records and 3 markers.
        #expect(events["read_committed"]?["end"] as? Int == 16)
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func anOpenTransactionHoldsTheLastStableOffset() async throws {
        let events = try await Self.run("open-transaction")
        #expect(Self.values(events["while_open_committed"]) == ["before0", "before1"])
        // Two records and the marker: the open transaction starts at offset 3.
        #expect(events["while_open_committed"]?["end"] as? Int == 3)
        #expect(Self.values(events["while_open_uncommitted"]) == ["before0", "before1", "open0", "open1", "open2"])
        #expect(events["while_open_uncommitted"]?["end"] as? Int == 6)
        #expect(Self.values(events["after_commit"]) == ["before0", "before1", "open0", "open1", "open2"])
        #expect(events["after_commit"]?["end"] as? Int == 7)
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func aSecondProducerWithTheSameIdFencesTheFirst() async throws {
        let events = try await Self.run("fencing")
        let error = events["zombie_commit"]?["error"] as? [String: Any]
        #expect(error != nil, "the zombie's commit succeeded: \(events)")
        #expect(error?["fatal"] as? Bool == true, "\(String(describing: error))")
        #expect(["_FENCED", "PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"].contains(error?["name"] as? String ?? ""),
                "\(String(describing: error))")
        #expect(Self.values(events["read_committed"]) == ["fresh0", "fresh1"])
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func theCoordinatorAbortsATimedOutTransaction() async throws {
        let events = try await Self.run("timeout", ["--timeout-ms", "2000"])
        #expect(Self.values(events["after_timeout"]) == [])
        // Three records and the ABORT marker: nothing holds the last stable offset any more.
        #expect(events["after_timeout"]?["end"] as? Int == 4)
        #expect(events["commit"]?["error"] != nil, "committing a timed-out transaction succeeded: \(events)")
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func consumeTransformProduceCommitsItsOffsetsWithItsOutput() async throws {
        let events = try await Self.run("consume-transform-produce")
        #expect(events["after_abort"]?["read"] as? Int == 10)
        #expect(events["after_abort"]?["committed"] as? Int == -1001, "an aborted transaction's offsets showed: \(events)")
        #expect(events["after_commit"]?["read"] as? Int == 10)
        #expect(events["after_commit"]?["committed"] as? Int == 10)
        #expect(Self.values(events["output"]) == (0..<10).map { "R\($0)" })
        // The aborted transaction's ten records and marker, the committed one's and its marker.
        #expect(events["output"]?["end"] as? Int == 22)
        #expect(events["restarted_member"]?["read"] as? Int == 0)
    }

    static func runPython(_ client: String) async throws -> [String: [String: Any]] {
        let broker = try await instance.get()
        let output = try await ClientRunner.python(
            "transactions_python.py", [client, "--bootstrap", broker.bootstrap, "--topic", SharedBroker.topic("txn-py")], timeout: 120)
        var events: [String: [String: Any]] = [:]
        for record in output.records {
            if let name = record["event"] as? String { events[name] = record }
        }
        #expect(events["done"] != nil, "the scenario did not finish: \(output)")
        return events
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.kafkaPython), "kafka-python is not installed"))
    func kafkaPythonTransactionsCommitAbortAndFence() async throws {
        let events = try await Self.runPython("kafka-python")
        #expect(Self.values(events["read_committed"]) == ["c0", "c1", "c2", "d0", "d1", "d2"])
        #expect((events["zombie"]?["message"] as? String)?.contains("ProducerFencedError") == true, "\(events)")
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.aiokafka), "aiokafka is not installed"))
    func aiokafkaTransactionsCommitAbortAndFence() async throws {
        let events = try await Self.runPython("aiokafka")
        #expect(Self.values(events["read_committed"]) == ["c0", "c1", "c2", "d0", "d1", "d2"])
        #expect(events["zombie"]?["error"] as? String == "ProducerFenced", "\(events)")
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func sluiceConsumeReadsCommittedOrEverything() async throws {
        let topic = SharedBroker.topic("txn-cli")
        _ = try await Self.run("commit-abort", topic: topic)
        let bootstrap = try await Self.instance.get().bootstrap
        let committed = try await SluiceCLI.ok(["consume", topic, "--from-beginning", "--exit-at-end",
                                                "--isolation-level", "read_committed"], bootstrap: bootstrap)
        #expect(committed.lines == (0..<5).map { "c\($0)" } + (0..<3).map { "d\($0)" })
        let everything = try await SluiceCLI.ok(["consume", topic, "--from-beginning", "--exit-at-end"], bootstrap: bootstrap)
        #expect(everything.lines == (0..<5).map { "c\($0)" } + (0..<5).map { "a\($0)" } + (0..<3).map { "d\($0)" })
    }
}
