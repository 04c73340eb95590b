import Testing
@testable import SluiceBroker

@Suite struct BrokerConfigTests {
    @Test func readsKafkaPropertiesFiles() throws {
        let text = """
            # a comment
            node.id=3
            listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093
            log.dirs = /tmp/a,/tmp/b
            num.partitions: 4
            log.retention.hours=2
            log.retention.minutes=5
            message.max.bytes=2000000
            log.segment.bytes \\
              =1048576
            auto.create.topics.enable=false
            process.roles=broker,controller
            made.up.key=1
            """
        var config = BrokerConfig()
        let warnings = try config.apply(PropertiesFile.parse(text))
        #expect(config.nodeId == 3)
        #expect(config.listener == HostAndPort(host: "127.0.0.1", port: 19092))
        #expect(config.dataDirectory == "/tmp/a")
        #expect(config.numPartitions == 4)
        #expect(config.logDefaults.retentionMs == 300_000)  // minutes win over hours
        #expect(config.logDefaults.maxMessageBytes == 2_000_000)
        #expect(config.logDefaults.segmentBytes == 1_048_576)
        #expect(config.autoCreateTopicsEnable == false)
        #expect(warnings.contains { $0.contains("made.up.key") })
        #expect(warnings.contains { $0.contains("process.roles") })
    }

    @Test func invalidValuesNameTheirKey() {
        for (key, value) in [("num.partitions", "0"), ("log.retention.ms", "soon"), ("listeners", "nowhere"),
                             ("auto.create.topics.enable", "maybe"), ("log.segment.bytes", "-5")] {
            var config = BrokerConfig()
            #expect {
                try config.apply([(key, value)])
            } throws: { error in
                "\(error)".contains(key)
            }
        }
    }

    @Test func parsesAddresses() {
        #expect(HostAndPort(parsing: "PLAINTEXT://[::1]:9092") == HostAndPort(host: "::1", port: 9092))
        #expect(HostAndPort(parsing: "localhost:0") == HostAndPort(host: "localhost", port: 0))
        #expect(HostAndPort(parsing: "localhost") == nil)
        #expect(HostAndPort(parsing: "h:70000") == nil)
    }
}
