import Foundation
import Testing

/// `sluice produce` as kafka-console-producer does it: Kafka's producer defaults, and a topic that
/// does not exist yet created on first use when the broker's `auto.create.topics.enable` allows
/// (Kafka's default), a clear error when it does not.
@Suite(.serialized, .onTestThreads) struct CommandLineTopicCreationTests {
    @Test func produceCreatesAMissingTopicOnADefaultBroker() async throws {
        let b = try await SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-new")
        let produced = try await SluiceCLI.run(["produce", topic], bootstrap: b, input: "1\n2\n3\n")
        let consumed = try await SluiceCLI.run(["consume", topic, "--from-beginning", "--exit-at-end"], bootstrap: b)
        #expect(produced.status == 0, "\(produced.stderr)")
        #expect(produced.stderr.contains("sent 3 record(s) to '\(topic)'"), "\(produced.stderr)")
        #expect(consumed.status == 0 && consumed.lines == ["1", "2", "3"], "\(consumed.stdout)\(consumed.stderr)")
    }

    @Test func withAutoCreationOffAMissingTopicIsAClearError() async throws {
        let (produced, consumed, listed) = try await BrokerProcess.with(extraArguments: ["--set", "auto.create.topics.enable=false"]) { broker in
            (try await SluiceCLI.run(["produce", "nosuch", "--max-block-ms", "1500"], bootstrap: broker.bootstrap, input: "1\n"),
                    try await SluiceCLI.run(["consume", "nosuch", "--exit-at-end", "--default-api-timeout-ms", "1000"], bootstrap: broker.bootstrap),
                    try await SluiceCLI.run(["topic", "list"], bootstrap: broker.bootstrap))
        }
        let advice = "UNKNOWN_TOPIC_OR_PARTITION (3): topic 'nosuch' does not exist — create it with `sluice topic create nosuch`"
        #expect(produced.status == 1)
        #expect(produced.stderr.contains(advice), "\(produced.stderr)")
        #expect(consumed.status == 1)
        #expect(consumed.stderr.contains(advice), "\(consumed.stderr)")
        #expect(listed.status == 0 && !listed.stdout.contains("nosuch"), "nothing was created: \(listed.stdout)")
    }

    /// Kafka's producer defaults since 3.0: idempotent (the stored batch carries a producer id) with
    /// acks=all; `--acks 1` or `--no-idempotence` turn it off; idempotence with acks=1 is refused.
    @Test func produceIsIdempotentByDefaultAndTheOverridesWork() async throws {
        let broker = try await SharedBroker.get()
        let (bootstrap, port) = (broker.bootstrap, broker.port)
        for (arguments, idempotent) in [([String](), true), (["--acks", "1"], false), (["--no-idempotence"], false),
                                         (["--acks", "all", "--idempotence"], true)] {
            let topic = SharedBroker.topic("cli-idem")
            let produced = try await SluiceCLI.run(["produce", topic] + arguments, bootstrap: bootstrap, input: "a\nb\n")
            let producerIds = try await SharedBroker.storedBatchesOn(port: port, topic: topic, partition: 0).map(\.producerId)
            #expect(produced.status == 0, "\(arguments): \(produced.stderr)")
            #expect(!producerIds.isEmpty && producerIds.allSatisfy { ($0 >= 0) == idempotent }, "\(arguments): \(producerIds)")
        }
        let refused = try await SluiceCLI.run(["produce", "x", "--acks", "1", "--idempotence"], bootstrap: bootstrap, input: "a\n")
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--idempotence needs --acks all"), "\(refused.stderr)")
    }
}
