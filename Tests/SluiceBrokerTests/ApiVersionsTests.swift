import KafkaProtocol
import NIOCore
import Testing
@testable import SluiceBroker

@Suite struct ApiVersionsTests {
    @Test func advertisesExactlyTheRegisteredHandlers() async throws {
        let fixture = try await BrokerFixture.start()
        defer { Task { await fixture.stop() } }
        let connection = try fixture.connect()
        let response = try connection.roundTrip(ApiVersionsRequest(clientSoftwareName: "t", clientSoftwareVersion: "1"), version: 3)
        #expect(response.errorCode == 0)
        let advertised = Dictionary(uniqueKeysWithValues: response.apiKeys.map { ($0.apiKey, $0.minVersion...$0.maxVersion) })
        #expect(advertised[ApiKey.apiVersions.rawValue] == 0...4)
        #expect(advertised[ApiKey.produce.rawValue] == 0...11)
        #expect(advertised[ApiKey.fetch.rawValue] == 0...17)
        #expect(advertised[ApiKey.metadata.rawValue] == 0...12)
        #expect(advertised[ApiKey.offsetForLeaderEpoch.rawValue] == 0...4)
        // The classic group protocol, down to the v0s librdkafka 2.0.2 looks for, and KIP-848's
        // ConsumerGroupHeartbeat (librdkafka 2.16 asks for v1 exactly) and ConsumerGroupDescribe.
        #expect(advertised[ApiKey.findCoordinator.rawValue] == 0...6)
        #expect(advertised[ApiKey.joinGroup.rawValue] == 0...9)
        #expect(advertised[ApiKey.consumerGroupHeartbeat.rawValue] == 0...1)
        #expect(advertised[ApiKey.consumerGroupDescribe.rawValue] == 0...0)
        // Every advertised key answers at its maximum version on a live connection.
        let again = try connection.roundTrip(ApiVersionsRequest(), version: 0)
        #expect(again.apiKeys.count == response.apiKeys.count)
    }

    @Test func unsupportedApiVersionsVersionGetsV0ErrorListingKey18() async throws {
        let fixture = try await BrokerFixture.start()
        defer { Task { await fixture.stop() } }
        let connection = try fixture.connect()
        // Version 9 does not exist: the header is written as a flexible one (v2), as a client would.
        var writer = WireWriter()
        writer.writeInt32(0)
        RequestHeader(requestApiKey: 18, requestApiVersion: 9, correlationId: 77, clientId: "x").encode(to: &writer, version: 2)
        writer.writeUnsignedVarint(1)  // empty compact string (client name)
        writer.writeUnsignedVarint(1)
        writer.writeUnsignedVarint(0)  // tagged fields
        var frame = writer.buffer
        frame.setInteger(Int32(frame.readableBytes - 4), at: 0)
        #expect(connection.send(frame))
        let (id, body) = try KafkaFrame.decodeResponse(ApiVersionsResponse.self, from: try connection.receiveFrame(), version: 0)
        #expect(id == 77)
        #expect(body.errorCode == ErrorCode.unsupportedVersion.rawValue)
        #expect(body.apiKeys == [.init(apiKey: 18, minVersion: 0, maxVersion: 4)])
    }

    @Test func unsupportedVersionOfAnotherApiClosesOnlyThatConnection() async throws {
        let fixture = try await BrokerFixture.start()
        defer { Task { await fixture.stop() } }
        let connection = try fixture.connect()
        _ = try connection.send(MetadataRequest(topics: nil), version: 13)
        #expect(connection.isClosedByPeer())
        // An API Sluice does not implement (DescribeTransactions) closes too.
        let second = try fixture.connect()
        _ = try second.send(DescribeTransactionsRequest(transactionalIds: ["t"]), version: 0)
        #expect(second.isClosedByPeer())
        // The broker still answers new connections.
        let fresh = try fixture.connect()
        #expect(try fresh.roundTrip(ApiVersionsRequest(), version: 0).errorCode == 0)
    }
}

@Suite struct FrameLimitTests {
    @Test func aFrameAboveSocketRequestMaxBytesClosesOnlyItsConnection() async throws {
        let fixture = try await BrokerFixture.start { $0.socketRequestMaxBytes = 1000 }
        defer { Task { await fixture.stop() } }
        let connection = try fixture.connect()
        // A Produce request of ~2 kB: the size prefix alone is enough to refuse it.
        let big = produceRequest(topic: "t", batch: try makeBatch(1, prefix: String(repeating: "x", count: 2000)))
        _ = try connection.send(big, version: 9)
        #expect(connection.isClosedByPeer())
        let fresh = try fixture.connect()
        #expect(try fresh.roundTrip(ApiVersionsRequest(), version: 3).errorCode == 0)
    }
}
