import SluiceBase
import Testing

@Suite struct BrokerAddressTests {
    @Test func bootstrapServerDefaultsThePortAndRequiresBracketsForIPv6() {
        #expect(BrokerAddress(bootstrapServer: " kafka-1 ") == BrokerAddress(host: "kafka-1", port: 9092))
        #expect(BrokerAddress(bootstrapServer: "kafka-1:19092") == BrokerAddress(host: "kafka-1", port: 19092))
        #expect(BrokerAddress(bootstrapServer: "[::1]") == BrokerAddress(host: "::1", port: 9092))
        #expect(BrokerAddress(bootstrapServer: "[::1]:9093") == BrokerAddress(host: "::1", port: 9093))
        for bad in ["", "   ", ":9092", "h:0", "h:65536", "h:x", "::1", "[::1", "[::1]9093", "PLAINTEXT://h:1"] {
            #expect(BrokerAddress(bootstrapServer: bad) == nil, "\(bad)")
        }
    }

    @Test func listenerDropsTheNameAndRequiresAPort() {
        #expect(BrokerAddress(listener: "PLAINTEXT://[::1]:9092") == BrokerAddress(host: "::1", port: 9092))
        #expect(BrokerAddress(listener: "CONTROLLER://0.0.0.0:9093") == BrokerAddress(host: "0.0.0.0", port: 9093))
        #expect(BrokerAddress(listener: "localhost:0") == BrokerAddress(host: "localhost", port: 0))
        // An empty host binds every interface, as in Kafka.
        #expect(BrokerAddress(listener: "PLAINTEXT://:9092") == BrokerAddress(host: "", port: 9092))
        for bad in ["localhost", "h:70000", "h:-1", "PLAINTEXT://h"] {
            #expect(BrokerAddress(listener: bad) == nil, "\(bad)")
        }
    }

    @Test func printsIPv6InBrackets() {
        #expect(BrokerAddress(host: "::1", port: 9092).description == "[::1]:9092")
        #expect(BrokerAddress(host: "10.0.0.2", port: 9092).description == "10.0.0.2:9092")
        for text in ["[::1]:9092", "10.0.0.2:19092"] {
            #expect(BrokerAddress(bootstrapServer: text)?.description == text)
            #expect(BrokerAddress(listener: text)?.description == text)
        }
    }
}

@Suite struct TopicPartitionTests {
    @Test func ordersByTopicThenPartitionAndPrintsAsKafkaDoes() {
        let sorted = [TopicPartition("b", 0), TopicPartition("a", 10), TopicPartition("a", 2)].sorted()
        #expect(sorted == [TopicPartition("a", 2), TopicPartition("a", 10), TopicPartition("b", 0)])
        #expect(TopicPartition("orders", 3).description == "orders-3")
    }
}
