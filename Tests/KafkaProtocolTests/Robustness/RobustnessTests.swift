import Foundation
import NIOCore
import SluiceBase
import Testing

@testable import KafkaProtocol

/// More than 100,000 random and mutated inputs through every decoder: request frames and every
/// request type at every version, response bodies, record sets (validation, decompression,
/// records). Nothing may trap; every input must give a value or a thrown error. A decoder that
/// sized an allocation from a hostile length (the mutator writes 2^31-ish lengths and counts)
/// would crash or balloon the process, which the resident-size check below would see.
///
/// The seed is printed first, so that even a crash can be replayed with SLUICE_TEST_SEED.
@Suite("Robustness of every decoder")
struct RobustnessTests {
    static let rounds = 30_000

    private static func start(_ name: String) -> SeededGenerator {
        let seed = TestSeed.make()
        print("RobustnessTests.\(name): seed \(seed) (replay with SLUICE_TEST_SEED=\(seed))")
        return SeededGenerator(seed: seed)
    }

    @Test("mutated request frames, decoded by header and by every request type")
    func requests() throws {
        var rng = Self.start("requests")
        let corpus = try FuzzCorpus.requestFrames()
        var mutator = Mutator(rng: SeededGenerator(seed: rng.next()))
        let keys = ApiKey.allCases
        var decodedBodies = 0
        try withinMemoryBudget {
            for round in 0..<Self.rounds {
                let bytes = mutator.mutate(corpus[round % corpus.count], donors: corpus)
                let buffer = ByteBuffer(bytes: bytes)
                guard let frame = try? RequestFrame(frame: buffer) else { continue }
                if let key = frame.apiKey, decode(key.requestType, frame.body, frame.apiVersion) { decodedBodies += 1 }
                // The same body read as another API and version: every decoder sees every kind of garbage.
                let other = keys[Int.random(in: 0..<keys.count, using: &rng)]
                let version = Int16.random(in: other.specVersions.lowerBound...(other.specVersions.upperBound + 1), using: &rng)
                _ = decode(other.requestType, frame.body, version)
            }
        }
        #expect(decodedBodies > 100, "some mutations stay valid")
    }

    @Test("mutated response bodies through every response type")
    func responses() throws {
        var rng = Self.start("responses")
        let corpus = try FuzzCorpus.responses()
        let donors = corpus.map(\.body)
        var mutator = Mutator(rng: SeededGenerator(seed: rng.next()))
        try withinMemoryBudget {
            for round in 0..<Self.rounds {
                let sample = corpus[round % corpus.count]
                let bytes = mutator.mutate(sample.body, donors: donors)
                _ = decode(sample.key.responseType, WireReader(ByteBuffer(bytes: bytes)), sample.version)
                var frame = ByteBuffer(bytes: [0, 0, 0, 7])
                frame.writeBytes(bytes)
                _ = try? KafkaFrame.decodeResponse(ApiVersionsResponse.self, from: frame, version: Int16.random(in: -1...5, using: &rng))
            }
        }
    }

    @Test("mutated record sets: iteration, validation, decompression, records")
    func recordSets() throws {
        var rng = Self.start("recordSets")
        let corpus = try FuzzCorpus.recordSets()
        var mutator = Mutator(rng: SeededGenerator(seed: rng.next()))
        var decodedRecords = 0
        try withinMemoryBudget {
            for round in 0..<Self.rounds {
                var bytes = mutator.mutate(corpus[round % corpus.count], donors: corpus)
                if round % 10 == 0, let rebuilt = try? mutateInside(corpus[round % corpus.count], &mutator, corpus) {
                    bytes = rebuilt
                }
                var sequence = RecordBatchSequence(ByteBuffer(bytes: bytes))
                while let batch = sequence.next() {
                    _ = try? batch.validate()
                    _ = try? batch.validateProduced()
                    if let records = try? batch.records(maxDecompressedSize: 1 << 20) { decodedRecords += records.count }
                    _ = (batch.lastOffset, batch.nextOffset, batch.lastSequence, batch.maxTimestamp)
                }
                _ = try? RecordBatchSequence.wholeBatches(ByteBuffer(bytes: bytes))
            }
        }
        #expect(decodedRecords > 1000)
    }

    @Test("random bytes through the frame decoder, headers and compression codecs")
    func noise() throws {
        var rng = Self.start("noise")
        try withinMemoryBudget {
            for _ in 0..<(Self.rounds / 3) {
                var buffer = ByteBuffer(bytes: rng.bytes(Int.random(in: 0...40, using: &rng)))
                while let frame = try? KafkaFrameDecoder.nextFrame(from: &buffer, maxFrameSize: 1 << 16) {
                    _ = try? RequestFrame(frame: frame)
                }
                let input = ByteBuffer(bytes: rng.bytes(Int.random(in: 0...40, using: &rng)))
                for codec in CompressionCodec.allCases { _ = try? codec.decompress(input, maxSize: 1 << 16) }
            }
        }
    }

    /// Decodes and reports success; any thrown error is an acceptable outcome.
    private func decode(_ type: any KafkaMessage.Type, _ reader: WireReader, _ version: Int16) -> Bool {
        var reader = reader
        return (try? type.init(from: &reader, version: version)) != nil
    }

    /// Decompresses a batch, mutates the records inside, compresses again and fixes length and
    /// CRC, so that mutations reach record parsing behind the codec and the checksum.
    private func mutateInside(_ set: [UInt8], _ mutator: inout Mutator, _ donors: [[UInt8]]) throws -> [UInt8] {
        let batch = try RecordBatch(bytes: ByteBuffer(bytes: Array(set.prefix(try #require(try RecordBatch.peekSize(ByteBuffer(bytes: set)))))))
        let codec = try #require(batch.compression)
        let section = try codec.decompress(batch.recordsSection)
        let mutated = try codec.compress(ByteBuffer(bytes: mutator.mutate(section.bytes, donors: donors)))
        var bytes = batch.bytes.getSlice(at: 0, length: RecordBatch.headerSize)!
        var body = mutated
        bytes.writeBuffer(&body)
        bytes.setInteger(Int32(bytes.readableBytes - RecordBatch.logOverhead), at: RecordBatch.Field.batchLength)
        let crc = bytes.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatch.Field.attributes...])) }
        bytes.setInteger(crc, at: RecordBatch.Field.crc)
        return bytes.bytes
    }

    /// Runs `body` and checks that the process's peak resident size grew by less than 512 MiB.
    private func withinMemoryBudget(_ body: () throws -> Void) throws {
        let before = peakResidentBytes()
        try body()
        let growth = peakResidentBytes() - before
        #expect(growth < 512 << 20, "peak resident size grew by \(growth >> 20) MiB")
    }

    private func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024  // kilobytes on Linux
    }
}
