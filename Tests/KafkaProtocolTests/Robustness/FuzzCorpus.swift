import Foundation
import NIOCore

@testable import KafkaProtocol
@testable import KafkaProtocolCodegen

/// Valid encodings to mutate: request frames and response bodies of every API at every version,
/// record batches of every codec, and the bytes real clients sent.
enum FuzzCorpus {
    struct Response {
        var key: ApiKey
        var version: Int16
        var body: [UInt8]
    }

    /// Request frames (size prefix removed): default bodies of every API at every version, the
    /// captured client frames, and, when Kafka's specs are at hand, random spec-driven bodies.
    static func requestFrames() throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        for key in ApiKey.allCases {
            for version in key.specVersions {
                frames.append(frame(key: key, version: version, body: encode(key.requestType.init(), version)))
            }
        }
        for client in ["kcat", "confluent-kafka", "kafka-python", "aiokafka"] {
            frames.append(Array(try Fixtures.data("clients/\(client)-first-request.bin").dropFirst(4)))
        }
        for (kind, key, version, body) in try specBodies() where kind == .request {
            frames.append(frame(key: key, version: version, body: body))
        }
        return frames
    }

    static func responses() throws -> [Response] {
        var out: [Response] = []
        for key in ApiKey.allCases {
            for version in key.specVersions {
                out.append(Response(key: key, version: version, body: encode(key.responseType.init(), version)))
            }
        }
        for (kind, key, version, body) in try specBodies() where kind == .response {
            out.append(Response(key: key, version: version, body: body))
        }
        return out
    }

    /// Record sets: batches of every codec (ours and the Python clients'), alone and in pairs.
    static func recordSets() throws -> [[UInt8]] {
        var sets: [[UInt8]] = []
        for codec in CompressionCodec.allCases {
            let batch = try RecordBatchTests.build(codec, baseOffset: 10).bytes.bytes
            sets.append(batch)
            sets.append(batch + (try RecordBatchTests.build(.none, baseOffset: 14).bytes.bytes))
        }
        for file in try Fixtures.names(in: "batches", suffix: ".batch") {
            sets.append(try Fixtures.data("batches/\(file)"))
        }
        return sets
    }

    private static func encode(_ message: some KafkaMessage, _ version: Int16) -> [UInt8] {
        var writer = WireWriter()
        message.encode(to: &writer, version: version)
        return writer.buffer.bytes
    }

    private static func frame(key: ApiKey, version: Int16, body: [UInt8]) -> [UInt8] {
        let header = RequestHeader(requestApiKey: key.rawValue, requestApiVersion: version, correlationId: 99, clientId: "fuzz")
        return encode(header, key.requestHeaderVersion(version)) + body
    }

    enum Kind { case request, response }

    /// Random bodies from the spec interpreter (two per message and version), when the specs exist.
    private static func specBodies() throws -> [(Kind, ApiKey, Int16, [UInt8])] {
        guard Repository.hasSpecs else { return [] }
        var out: [(Kind, ApiKey, Int16, [UInt8])] = []
        for spec in try SpecInterpreter.specs(in: Repository.specsDirectory) {
            guard let raw = spec.apiKey, let key = ApiKey(rawValue: Int16(raw)) else { continue }
            let kind: Kind = spec.kind == .request ? .request : .response
            var interpreter = SpecInterpreter(spec: spec, seed: UInt64(raw))
            for version in interpreter.versions {
                for _ in 0..<2 { out.append((kind, key, Int16(version), interpreter.message(version: version))) }
            }
        }
        return out
    }
}

/// Damages valid bytes the ways a broken or hostile peer might.
struct Mutator {
    var rng: SeededGenerator

    mutating func mutate(_ input: [UInt8], donors: [[UInt8]]) -> [UInt8] {
        var bytes = input
        switch Int.random(in: 0..<8, using: &rng) {
        case 0:  // flip a few bits
            guard !bytes.isEmpty else { return rng.bytes(8) }
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            }
        case 1:  // truncate
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
        case 2, 3:  // a hostile length or count: large, negative, or just off by a little
            guard bytes.count >= 4 else { return rng.bytes(Int.random(in: 0...16, using: &rng)) }
            let at = Int.random(in: 0...(bytes.count - 4), using: &rng)
            let values: [UInt32] = [0x7FFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFE, 0x8000_0000, 0x0000_FFFF, 0x00FF_FFFF,
                                    UInt32(bytes.count), UInt32(truncatingIfNeeded: rng.next())]
            let value = values[Int.random(in: 0..<values.count, using: &rng)]
            let width = [1, 2, 4][Int.random(in: 0..<3, using: &rng)]
            for i in 0..<width { bytes[at + i] = UInt8(truncatingIfNeeded: value >> UInt32(8 * (width - 1 - i))) }
        case 4:  // a run of varint continuation bytes (compact lengths, tags, record fields)
            guard !bytes.isEmpty else { return [0xFF, 0xFF, 0xFF, 0xFF, 0x0F] }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            let run: [UInt8] = [[0xFF, 0xFF, 0xFF, 0xFF, 0x07], [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]][Int.random(in: 0..<3, using: &rng)]
            bytes.replaceSubrange(at..<min(bytes.count, at + run.count), with: run)
        case 5:  // splice with another sample
            let donor = donors[Int.random(in: 0..<donors.count, using: &rng)]
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
                + donor.suffix(Int.random(in: 0...donor.count, using: &rng))
        case 6:  // insert or delete a few bytes
            let at = Int.random(in: 0...bytes.count, using: &rng)
            if Bool.random(using: &rng) || at == bytes.count {
                bytes.insert(contentsOf: rng.bytes(Int.random(in: 1...4, using: &rng)), at: at)
            } else {
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...4, using: &rng)))
            }
        default:  // pure noise
            bytes = rng.bytes(Int.random(in: 0...64, using: &rng))
        }
        return bytes
    }
}
