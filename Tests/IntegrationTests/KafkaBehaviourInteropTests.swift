import Foundation
import KafkaProtocol
import Testing

/// Kafka 3.9 behaviours librdkafka's own test suite checks, driven through confluent-kafka
/// against a real `sluice broker` (`Clients/kafka_behaviours.py`).
@Suite(.onTestThreads) struct KafkaBehaviourInteropTests {
    static func run(_ scenario: String, topic: String, _ extra: [String] = [],
                    on given: BrokerProcess? = nil) async throws -> [String: [String: Any]] {
        let broker: BrokerProcess
        if let given { broker = given } else { broker = try await SharedBroker.get() }
        let output = try await ClientRunner.python("kafka_behaviours.py",
                                             [scenario, "--bootstrap", broker.bootstrap, "--topic", topic] + extra,
                                             timeout: 180)
        var steps: [String: [String: Any]] = [:]
        for record in output.records { if let step = record["step"] as? String { steps[step] = record } }
        return steps
    }

    /// librdkafka 0092: deprecated topic keys are accepted by CreateTopics, AlterConfigs and
    /// IncrementalAlterConfigs and described; unknown keys and bad versions are refused by name.
    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func deprecatedTopicConfigsAreAccepted() async throws {
        let steps = try await Self.run("deprecated-configs", topic: SharedBroker.topic("deprecated"))
        let created = try #require(steps["created"]?["configs"] as? [String: Any], "\(steps)")
        #expect(created["message.format.version"] as? String == "0.10.0")
        #expect(created["message.downconversion.enable"] as? String == "false")
        let altered = try #require(steps["alter"], "\(steps)")
        #expect(altered["error"] is NSNull, "\(altered)")
        #expect((altered["configs"] as? [String: Any])?["message.format.version"] as? String == "2.8-IV1")
        #expect((altered["configs"] as? [String: Any])?["retention.ms"] as? String == "3600000")
        let incremental = try #require(steps["incremental"], "\(steps)")
        #expect(incremental["error"] is NSNull, "\(incremental)")
        #expect((incremental["configs"] as? [String: Any])?["message.format.version"] as? String == "3.0-IV1")
        let unknown = try #require(steps["unknown"]?["error"] as? [String: Any], "\(steps)")
        #expect(unknown["code"] as? String == "INVALID_CONFIG")
        #expect((unknown["message"] as? String)?.contains("no.such.topic.config") == true, "\(unknown)")
        let bad = try #require(steps["bad-version"]?["error"] as? [String: Any], "\(steps)")
        #expect(bad["code"] as? String == "INVALID_CONFIG")
        #expect((bad["message"] as? String)?.contains("banana") == true, "\(bad)")
    }

    /// librdkafka 0011 `test_message_single_partition_record_fail`: every tenth of 100 records
    /// has no key on a compacted topic. In one batch (variation 0) the ten fail with
    /// INVALID_RECORD and the 90 others with librdkafka's _INVALID_DIFFERENT_RECORD; one record
    /// per batch (variation 1), the ten fail and the 90 are delivered — as against Kafka.
    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"),
          arguments: [0, 1])
    func keylessRecordsOfACompactedTopicFailOneByOne(variation: Int) async throws {
        let steps = try await Self.run("record-errors", topic: SharedBroker.topic("record-errors"), ["--variation", "\(variation)"])
        #expect((steps["policy"]?["cleanup_policy"] as? String)?.contains("compact") == true, "APPEND compact: \(steps)")
        let delivered = try #require(steps["delivered"], "\(steps)")
        let counts = try #require(delivered["counts"] as? [String: Int], "\(delivered)")
        #expect(delivered["keyless"] as? [String] == ["INVALID_RECORD"], "\(delivered)")
        if variation == 0 {
            #expect(counts == ["INVALID_RECORD": 10, "_INVALID_DIFFERENT_RECORD": 90], "\(delivered)")
        } else {
            #expect(counts == ["INVALID_RECORD": 10, "OK": 90], "\(delivered)")
        }
    }

    /// librdkafka 0081's AlterConfigs on BROKER resources: a cluster-wide default ("", sent
    /// here: neither Python client can name that resource) and one broker's own values (with
    /// confluent-kafka's `incremental_alter_configs`), described with Kafka's sources and synonyms
    /// by `describe_configs`, applied at once to a topic without overrides (a lowered
    /// `message.max.bytes` refuses a 5,000-byte record; deleting it accepts it again). A broker of
    /// its own: its dynamic configs would reach other tests' topics.
    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func dynamicBrokerConfigsApplyAtOnce() async throws {
        try await BrokerProcess.with(extraArguments: ["--set", "log.retention.hours=100"]) { broker in
            let connection = try await RawKafkaConnection(port: broker.port)
            let setDefault = try await connection.roundTrip(IncrementalAlterConfigsRequest(resources: [
                .init(resourceType: 4, resourceName: "", configs: [.init(name: "log.retention.ms", configOperation: 0, value: "7200000")]),
            ]), version: 1)
            #expect(setDefault.responses.map(\.errorCode) == [0], "\(setDefault)")
            let brokerOnly = try await connection.roundTrip(IncrementalAlterConfigsRequest(resources: [
                .init(resourceType: 4, resourceName: "", configs: [.init(name: "ssl.keystore.password", configOperation: 0, value: "x")]),
            ]), version: 1)
            #expect(brokerOnly.responses.map(\.errorCode) == [ErrorCode.invalidRequest.rawValue])
            #expect(brokerOnly.responses.first?.errorMessage
                    == "Cannot update these configs at default cluster level, broker id must be specified: Set(ssl.keystore.password)")

            let steps = try await Self.run("broker-configs", topic: "dynamic", ["--broker", "1"], on: broker)
            func entry(_ step: String, _ key: String, in part: String = "broker") -> [String: Any]? {
                (steps[step]?[part] as? [String: Any])?[key] as? [String: Any]
            }
            func synonyms(_ e: [String: Any]?) -> [[String]] {
                ((e?["synonyms"] as? [[Any]]) ?? []).map { $0.map { "\($0)" } }
            }
            #expect(entry("before", "log.retention.ms")?["source"] as? String == "DYNAMIC_DEFAULT_BROKER_CONFIG", "\(steps)")
            #expect(entry("before", "log.retention.ms")?["value"] as? String == "7200000")
            #expect(entry("before", "log.dirs")?["read_only"] as? Bool == true)
            #expect(entry("before", "message.max.bytes")?["read_only"] as? Bool == false)
            #expect(steps["before"]?["produced"] is NSNull, "a 5,000-byte record fits the default limit: \(steps)")
            #expect(steps["set"]?["error"] is NSNull, "\(steps)")

            let retention = entry("after", "log.retention.ms")
            #expect(retention?["value"] as? String == "3600000")
            #expect(retention?["source"] as? String == "DYNAMIC_BROKER_CONFIG")
            #expect(synonyms(retention) == [["log.retention.ms", "3600000", "DYNAMIC_BROKER_CONFIG"],
                                            ["log.retention.ms", "7200000", "DYNAMIC_DEFAULT_BROKER_CONFIG"],
                                            ["log.retention.hours", "100", "STATIC_BROKER_CONFIG"],
                                            ["log.retention.hours", "168", "DEFAULT_CONFIG"]], "\(retention ?? [:])")
            let maxBytes = entry("after", "message.max.bytes")
            #expect(maxBytes?["value"] as? String == "2000")
            #expect(synonyms(maxBytes) == [["message.max.bytes", "2000", "DYNAMIC_BROKER_CONFIG"],
                                           ["message.max.bytes", "1048588", "DEFAULT_CONFIG"]])
            #expect(entry("after", "leader.replication.throttled.rate")?["value"] as? String == "1048576")
            let topic = try #require(steps["after"]?["topic"] as? [String: Any])
            #expect(topic["retention.ms"] as? String == "3600000")
            #expect(topic["max.message.bytes"] as? String == "2000")
            #expect(steps["after"]?["produced"] as? String == "MSG_SIZE_TOO_LARGE", "the lowered limit applies: \(steps)")
            #expect(steps["after"]?["small"] is NSNull)

            let readOnly = steps["read-only"]?["error"] as? [String: Any]
            #expect(readOnly?["code"] as? String == "INVALID_REQUEST")
            #expect(readOnly?["message"] as? String == "Cannot update these configs dynamically: Set(log.dirs)")
            #expect((steps["unknown"]?["error"] as? [String: Any])?["code"] as? String == "INVALID_CONFIG")
            #expect((steps["bad-value"]?["error"] as? [String: Any])?["code"] as? String == "INVALID_CONFIG")
            #expect(steps["delete"]?["error"] is NSNull)
            #expect(entry("deleted", "message.max.bytes")?["source"] as? String == "DEFAULT_CONFIG")
            #expect((steps["deleted"]?["topic"] as? [String: Any])?["max.message.bytes"] as? String == "1048588")
            #expect(steps["deleted"]?["produced"] is NSNull, "the default limit is back: \(steps)")

            // The cluster-wide defaults as a resource of their own: only what is set there.
            let defaults = try await connection.roundTrip(DescribeConfigsRequest(resources: [
                .init(resourceType: 4, resourceName: "", configurationKeys: nil),
            ], includeSynonyms: true), version: 4)
            #expect(defaults.results.first?.configs.map { [$0.name, $0.value ?? "null", "\($0.configSource)"] }
                    == [["log.retention.ms", "7200000", "3"]])
        }
    }

    /// librdkafka 0101: fetch from follower (KIP-392). Three brokers in racks rack-1..3 with
    /// Kafka's `RackAwareReplicaSelector`; a confluent-kafka consumer whose `client.rack` is a
    /// follower's rack reads every record, and librdkafka's statistics show it fetching from that
    /// follower, which sent it the records' bytes.
    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func consumersReadFromTheFollowerOfTheirRack() async throws {
        try await ClusterHarness.with(
            brokers: 3, extraProperties: ["replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector"],
            brokerProperties: [1: ["broker.rack=rack-1"], 2: ["broker.rack=rack-2"], 3: ["broker.rack=rack-3"]]) { cluster in
            try await cluster.startAll()
            try await ClusterHarness.waitFor("3 registered brokers and a controller", seconds: 30) {
                let m = try await ClusterProcessTests.metadata(cluster)
                return m.brokers.count == 3 && m.controllerId >= 0
            }
            let output = try await ClientRunner.python("kafka_behaviours.py", ["follower-fetch", "--bootstrap", cluster.bootstrap,
                                                                         "--topic", "racks"], timeout: 240)
            let result = try #require(output.records.first { $0["step"] as? String == "consumed" }, "\(output.stdout)\n\(output.stderr)")
            #expect(result["consumed"] as? Int == 3000, "\(result)")
            let follower = try #require(result["follower"] as? Int)
            let leader = try #require(result["leader"] as? Int)
            #expect(follower != leader)
            #expect(result["fetching_from"] as? Int == follower, "librdkafka fetches from its rack's follower: \(result)")
            let received = try #require(result["received"] as? [String: Int])
            // 3,000 records of 200 bytes: most of the ~600 KB come from the follower.
            #expect((received["\(follower)"] ?? 0) > 500_000, "bytes from the follower: \(result)")
            #expect((received["\(leader)"] ?? 0) < 200_000, "the leader sent little: \(result)")
        }
    }
}
