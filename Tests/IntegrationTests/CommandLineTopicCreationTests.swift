import Foundation
import Testing

/// `sluice produce` as kafka-console-producer does it: Kafka's producer defaults, and a topic that
/// does not exist yet created on first use when the broker's `auto.create.topics.enable` allows
/// (Kafka's default), a clear error when it does not.
@Suite(.serialized) struct CommandLineTopicCreationTests {
    @Test func produceCreatesAMissingTopicOnADefaultBroker() throws {
        let b = try SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-new")
        let produced = try SluiceCLI.run(["produce", topic], bootstrap: b, input: "1\n2\n3\n")
        #expect(produced.status == 0, "\(produced.stderr)")
        #expect(produced.stderr.contains("sent 3 record(s) to '\(topic)'"), "\(produced.stderr)")
        let consumed = try SluiceCLI.ok(["consume", topic, "--from-beginning", "--exit-at-end"], bootstrap: b)
        #expect(consumed.lines == ["1", "2", "3"])
    }

    @Test func withAutoCreationOffAMissingTopicIsAClearError() throws {
        let broker = try BrokerProcess(extraArguments: ["--set", "auto.create.topics.enable=false"])
        try broker.start()
        defer { broker.stop() }
        let advice = "UNKNOWN_TOPIC_OR_PARTITION (3): topic 'nosuch' does not exist — create it with `sluice topic create nosuch`"
        let produced = try SluiceCLI.run(["produce", "nosuch", "--max-block-ms", "1500"], bootstrap: broker.bootstrap, input: "1\n")
        #expect(produced.status == 1)
        #expect(produced.stderr.contains(advice), "\(produced.stderr)")
        let consumed = try SluiceCLI.run(["consume", "nosuch", "--exit-at-end", "--default-api-timeout-ms", "1000"],
                                         bootstrap: broker.bootstrap)
        #expect(consumed.status == 1)
        #expect(consumed.stderr.contains(advice), "\(consumed.stderr)")
        let listed = try SluiceCLI.ok(["topic", "list"], bootstrap: broker.bootstrap)
        #expect(!listed.stdout.contains("nosuch"), "nothing was created: \(listed.stdout)")
    }

    /// Kafka's producer defaults since 3.0: idempotent (the stored batch carries a producer id) with
    /// acks=all; `--acks 1` or `--no-idempotence` turn it off; idempotence with acks=1 is refused.
    @Test func produceIsIdempotentByDefaultAndTheOverridesWork() throws {
        let broker = try SharedBroker.get()
        for (arguments, idempotent) in [([String](), true), (["--acks", "1"], false), (["--no-idempotence"], false),
                                         (["--acks", "all", "--idempotence"], true)] {
            let topic = SharedBroker.topic("cli-idem")
            try SluiceCLI.ok(["produce", topic] + arguments, bootstrap: broker.bootstrap, input: "a\nb\n")
            let batches = try SharedBroker.storedBatches(broker, topic: topic)
            #expect(!batches.isEmpty && batches.allSatisfy { ($0.producerId >= 0) == idempotent }, "\(arguments)")
        }
        let refused = try SluiceCLI.run(["produce", "x", "--acks", "1", "--idempotence"], bootstrap: broker.bootstrap, input: "a\n")
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--idempotence needs --acks all"), "\(refused.stderr)")
    }
}
