import NIOCore
import Testing

@testable import KafkaProtocol

/// The first frame real clients send (ApiVersions), captured by
/// Fixtures/clients/capture_first_requests.py: decoded to exact values, re-encoded to the same bytes.
@Suite("Golden requests from real clients")
struct GoldenRequestTests {
    struct Capture: Sendable, CustomTestStringConvertible {
        var client: String
        var version: Int16
        var clientId: String
        var softwareName: String
        var softwareVersion: String
        var testDescription: String { client }
    }

    static let captures = [
        Capture(client: "kcat", version: 3, clientId: "rdkafka", softwareName: "librdkafka", softwareVersion: "2.0.2"),
        Capture(client: "confluent-kafka", version: 3, clientId: "rdkafka", softwareName: "confluent-kafka-python",
                softwareVersion: "2.16.1-rdkafka-2.16.0"),
        Capture(client: "kafka-python", version: 4, clientId: "kafka-python-3.0.12", softwareName: "kafka-python",
                softwareVersion: "3.0.12"),
        // aiokafka sends v0: no body fields at all.
        Capture(client: "aiokafka", version: 0, clientId: "aiokafka-0.14.0", softwareName: "", softwareVersion: ""),
    ]

    @Test("each client's ApiVersions request", arguments: captures)
    func apiVersions(capture: Capture) throws {
        var stream = try Fixtures.buffer("clients/\(capture.client)-first-request.bin")
        let original = stream
        let frame = try #require(try KafkaFrameDecoder.nextFrame(from: &stream, maxFrameSize: 1 << 20))
        #expect(stream.readableBytes == 0)

        let request = try RequestFrame(frame: frame)
        #expect(request.apiKey == .apiVersions)
        #expect(request.apiVersion == capture.version)
        #expect(request.correlationId == 1)
        #expect(request.header.clientId == capture.clientId)
        #expect(request.header.unknownTaggedFields.isEmpty)

        let body = try request.decodeBody(ApiVersionsRequest.self)
        #expect(body == ApiVersionsRequest(clientSoftwareName: capture.softwareName, clientSoftwareVersion: capture.softwareVersion))
        let encoded = KafkaFrame.request(body, version: capture.version, correlationId: 1, clientId: capture.clientId)
        #expect(encoded.bytes == original.bytes, "the encoding is canonical: same bytes back")
    }

    @Test("every captured request also decodes through the generic request table")
    func genericDecode() throws {
        for capture in Self.captures {
            var stream = try Fixtures.buffer("clients/\(capture.client)-first-request.bin")
            let request = try RequestFrame(frame: try #require(try KafkaFrameDecoder.nextFrame(from: &stream, maxFrameSize: 1 << 20)))
            let type = try #require(request.apiKey).requestType
            var reader = request.body
            let body = try type.init(from: &reader, version: request.apiVersion)
            #expect(reader.remaining == 0)
            #expect((body as? ApiVersionsRequest)?.clientSoftwareName == capture.softwareName)
        }
    }
}
