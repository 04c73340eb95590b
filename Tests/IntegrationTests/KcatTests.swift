import Foundation
import KafkaProtocol
import Testing

/// kcat (librdkafka 2.0.2 on Debian) against a real `sluice broker` process. kcat has no admin
/// API: topics are auto-created by its metadata requests.
@Suite(.serialized, .onTestThreads) struct KcatTests {
    func produce(_ topic: String, lines: String, _ options: [String]) async throws {
        let broker = try await SharedBroker.get()
        let output = try await ClientRunner.run("kcat", ["-P", "-b", broker.bootstrap, "-t", topic, "-p", "0"] + options,
                                          input: Data(lines.utf8), timeout: 60)
        try #require(output.status == 0, "kcat -P failed: \(output.stderr)")
    }

    func consume(_ topic: String, _ options: [String], format: String = "%o|%k|%s|%h\\n") async throws -> [String] {
        let broker = try await SharedBroker.get()
        let output = try await ClientRunner.run("kcat", ["-C", "-b", broker.bootstrap, "-t", topic, "-p", "0", "-e",
                                                   "-f", format] + options, timeout: 60)
        try #require(output.status == 0, "kcat -C failed: \(output.stderr)")
        return output.lines
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.kcat), "kcat is not installed"),
          arguments: ["none", "gzip", "snappy", "lz4", "zstd"])
    func keysHeadersAndCodecs(codec: String) async throws {
        let topic = SharedBroker.topic("kcat-\(codec)")
        let filler = String(repeating: "compressible ", count: 40)
        let lines = (0..<20).map { "key\($0):value \($0) \(filler)" }.joined(separator: "\n") + "\n"
        try await produce(topic, lines: lines, ["-K:", "-z", codec, "-H", "trace=abc", "-H", "n=1", "-X", "linger.ms=50"])
        let got = try await consume(topic, ["-o", "beginning"])
        #expect(got == (0..<20).map { "\($0)|key\($0)|value \($0) \(filler)|trace=abc,n=1" })
        // Stored as produced, compressed with the codec asked for. (librdkafka before 2.11.1, kcat's
        // 2.0.2, compresses with lz4 only when the broker advertises FindCoordinator v0, which it
        // does now that it has consumer groups.)
        let batches = try await SharedBroker.storedBatches(try await SharedBroker.get(), topic: topic)
        #expect(!batches.isEmpty && batches.allSatisfy { $0.compression == CompressionCodec(name: codec) },
                "stored: \(batches.map { String(describing: $0.compression) })")
    }

    /// With `broker.version.fallback=0.10.0` librdkafka speaks Produce v2 and Fetch v2/v3 with
    /// message format 1: the broker converts to and from its magic-2 batches.
    @Test(.enabled(if: Clients.shouldRun(Clients.kcat), "kcat is not installed"), arguments: ["none", "gzip", "snappy"])
    func oldProtocolVersionsWithMessageFormat1(codec: String) async throws {
        let topic = SharedBroker.topic("kcat-old-\(codec)")
        let old = ["-X", "api.version.request=false", "-X", "broker.version.fallback=0.10.0"]
        let filler = String(repeating: "compressible ", count: 40)
        let lines = (0..<20).map { "key\($0):value \($0) \(filler)" }.joined(separator: "\n") + "\n"
        try await produce(topic, lines: lines, ["-K:", "-z", codec] + old)
        let got = try await consume(topic, ["-o", "beginning"] + old, format: "%o|%k|%s\\n")
        #expect(got == (0..<20).map { "\($0)|key\($0)|value \($0) \(filler)" })
        let batches = try await SharedBroker.storedBatches(try await SharedBroker.get(), topic: topic)
        #expect(!batches.isEmpty && batches.allSatisfy { $0.compression == CompressionCodec(name: codec) && $0.magic == 2 },
                "stored: \(batches.map { String(describing: $0.compression) })")
        // Timestamps of message format 1 survive the conversion both ways.
        let stamps = try await consume(topic, ["-o", "beginning", "-c", "1"] + old, format: "%T\\n")
        #expect(Int64(stamps.first ?? "") ?? 0 > 1_600_000_000_000)
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.kcat), "kcat is not installed"))
    func oneMegabyteMessagesAndIdempotence() async throws {
        let topic = SharedBroker.topic("kcat-big")
        let value = String(repeating: "x", count: 1_000_000)
        try await produce(topic, lines: "\(value)\n\(value)\nsmall\n",
                    ["-X", "enable.idempotence=true", "-X", "message.max.bytes=2000000"])
        let got = try await consume(topic, ["-o", "beginning", "-X", "fetch.message.max.bytes=2000000"], format: "%o %S\\n")
        #expect(got == ["0 1000000", "1 1000000", "2 5"])
        let batches = try await SharedBroker.storedBatches(try await SharedBroker.get(), topic: topic)
        #expect(batches.allSatisfy { $0.producerId >= 0 }, "an idempotent producer got a producer id")
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.kcat), "kcat is not installed"))
    func offsetsByTimestampAndOutOfRangeReset() async throws {
        let topic = SharedBroker.topic("kcat-time")
        try await produce(topic, lines: "a\nb\nc\n", [])
        let stamps = try await consume(topic, ["-o", "beginning"], format: "%o %T\\n")
        try #require(stamps.count == 3)
        let secondTimestamp = stamps[1].split(separator: " ")[1]
        // -o s@<ts>: the first message at or after the timestamp (ListOffsets by time).
        let fromTime = try await consume(topic, ["-o", "s@\(secondTimestamp)"], format: "%o\\n")
        #expect(fromTime.first == stamps.firstIndex { $0.hasSuffix(" \(secondTimestamp)") }.map(String.init))
        // An offset beyond the end resets to the beginning under auto.offset.reset=earliest.
        let reset = try await consume(topic, ["-o", "100", "-X", "auto.offset.reset=earliest"], format: "%o\\n")
        #expect(reset == ["0", "1", "2"])
    }
}
