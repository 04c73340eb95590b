import Foundation
import KafkaProtocol
import NIOCore
import Testing

/// 100,000 random frames (random bytes, random headers, mutated valid requests) leave the broker
/// up and answering. `FUZZ_SEED` reproduces a run; the seed is printed.
@Suite(.onTestThreads) struct FuzzTests {
    /// SplitMix64: small, fast and seedable.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Valid requests to mutate. No topic-creating ones: mutated names and counts would only
    /// fill the disk (auto-creation is off on the fuzzed broker).
    static func seeds() throws -> [ByteBuffer] {
        var builder = RecordBatchBuilder(compression: .none)
        builder.append(key: ByteBuffer(string: "k"), value: ByteBuffer(string: "value"), timestamp: 1)
        let batch = try builder.build()
        let produce = ProduceRequest(acks: 1, timeoutMs: 100, topicData: [
            .init(name: "fuzz", partitionData: [.init(index: 0, records: .bytes(batch.bytes))]),
        ])
        let fetch = FetchRequest(maxWaitMs: 10, minBytes: 1, maxBytes: 1000, topics: [
            .init(topic: "fuzz", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1000)]),
        ])
        var frames: [ByteBuffer] = []
        for version: Int16 in [0, 3, 4] { frames.append(KafkaFrame.request(ApiVersionsRequest(), version: version, correlationId: 1, clientId: "f")) }
        for version: Int16 in [1, 9, 12] {
            frames.append(KafkaFrame.request(MetadataRequest(topics: [.init(name: "fuzz")]), version: version, correlationId: 2, clientId: "f"))
        }
        for version: Int16 in [3, 9] { frames.append(KafkaFrame.request(produce, version: version, correlationId: 3, clientId: "f")) }
        for version: Int16 in [4, 12, 13] { frames.append(KafkaFrame.request(fetch, version: version, correlationId: 4, clientId: nil)) }
        frames.append(KafkaFrame.request(ListOffsetsRequest(topics: [.init(name: "fuzz", partitions: [.init(partitionIndex: 0, timestamp: -1)])]),
                                         version: 4, correlationId: 5, clientId: "f"))
        frames.append(KafkaFrame.request(DescribeConfigsRequest(resources: [.init(resourceType: 2, resourceName: "fuzz", configurationKeys: nil)]),
                                         version: 4, correlationId: 6, clientId: "f"))
        return frames
    }

    static func randomFrame(_ rng: inout SeededGenerator, seeds: [ByteBuffer]) -> ByteBuffer {
        var frame = ByteBuffer()
        switch rng.next() % 3 {
        case 0:  // random bytes under a random (possibly absurd) size prefix
            let length = Int(rng.next() % 300)
            frame.writeInteger(rng.next() % 8 == 0 ? Int32(truncatingIfNeeded: rng.next()) : Int32(length))
            for _ in 0..<length { frame.writeInteger(UInt8(truncatingIfNeeded: rng.next())) }
        case 1:  // a plausible header (any key but the topic-creating ones), random body
            var key = Int16(rng.next() % 90)
            if key == 19 || key == 37 { key = 18 }
            let body = Int(rng.next() % 200)
            frame.writeInteger(Int32(8 + 2 + body))
            frame.writeInteger(key)
            frame.writeInteger(Int16(rng.next() % 20))
            frame.writeInteger(Int32(truncatingIfNeeded: rng.next()))
            frame.writeInteger(Int16(-1))
            for _ in 0..<body { frame.writeInteger(UInt8(truncatingIfNeeded: rng.next())) }
        default:  // a valid request with bytes flipped, cut or appended (size prefix fixed up)
            var bytes = Array(seeds[Int(rng.next() % UInt64(seeds.count))].readableBytesView.dropFirst(4))
            for _ in 0..<(1 + rng.next() % 4) {
                guard !bytes.isEmpty else { break }
                switch rng.next() % 3 {
                case 0: bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.removeLast(Int(rng.next() % UInt64(min(bytes.count, 16))))
                default: bytes.append(UInt8(truncatingIfNeeded: rng.next()))
                }
            }
            frame.writeInteger(Int32(bytes.count))
            frame.writeBytes(bytes)
        }
        return frame
    }

    @Test func randomFramesLeaveTheBrokerServing() async throws {
        try await BrokerProcess.with(extraArguments: ["--set", "auto.create.topics.enable=false", "--log-level", "error"]) { broker in
            let setup = try await RawKafkaConnection(port: broker.port)
            _ = try await setup.roundTrip(CreateTopicsRequest(topics: [.init(name: "fuzz", numPartitions: 1, replicationFactor: 1)]), version: 4)
            let seed = ProcessInfo.processInfo.environment["FUZZ_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
            print("FuzzTests seed \(seed) (FUZZ_SEED=\(seed) reproduces)")
            let seeds = try Self.seeds()
            let total = 100_000
            let perConnection = 50
            let port = broker.port
            // One thread for the whole loop of blocking sends and reads (2,000 connections).
            let elapsed = try await offPool { () throws -> TimeInterval in
                var rng = SeededGenerator(state: seed)
                var sent = 0
                let started = Date()
                while sent < total {
                    let connection = try RawKafkaConnection(port: port, timeoutSeconds: 5)
                    var batch = ByteBuffer()
                    for _ in 0..<min(perConnection, total - sent) { batch.writeImmutableBuffer(Self.randomFrame(&rng, seeds: seeds)) }
                    sent += perConnection
                    _ = connection.send(batch)
                    connection.finishSending()
                    connection.drainUntilClosed()
                }
                return Date().timeIntervalSince(started)
            }
            #expect(elapsed < 240, "fuzzing takes too long")
            #expect(broker.isRunning, "the broker survived \(total) random frames; stderr: \(broker.stderrTail())")
            let fresh = try await RawKafkaConnection(port: broker.port)
            let versions = try await fresh.roundTrip(ApiVersionsRequest(), version: 3)
            #expect(versions.errorCode == 0 && versions.apiKeys.contains { $0.apiKey == 0 })
            let metadata = try await fresh.roundTrip(MetadataRequest(topics: [.init(name: "fuzz")]), version: 12)
            #expect(metadata.topics.map(\.errorCode) == [0])
            #expect(metadata.topics.first?.partitions.count == 1)
            #expect(await broker.stop() == 0)
        }
    }
}
