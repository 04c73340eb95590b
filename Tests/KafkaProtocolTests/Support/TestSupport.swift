import Foundation
import NIOCore

/// SplitMix64: a small, fast, seedable generator, so that every randomised test can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum TestSeed {
    /// `SLUICE_TEST_SEED` when set (to replay a failure), otherwise a fresh random seed.
    static func make() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["SLUICE_TEST_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 0...UInt64.max)
    }
}

extension RandomNumberGenerator {
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var word = next()
            for _ in 0..<8 where i < count {
                out[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        return out
    }

    /// Text-like bytes with plenty of repeats: words drawn from a small vocabulary.
    mutating func compressibleBytes(_ count: Int) -> [UInt8] {
        let words = ["kafka", "sluice", "record", "batch", "offset", "partition", "leader", "epoch", " ", "\n", "0", "42"]
        var out: [UInt8] = []
        out.reserveCapacity(count + 16)
        while out.count < count {
            out.append(contentsOf: words[Int(next() % UInt64(words.count))].utf8)
        }
        return Array(out.prefix(count))
    }
}

extension ByteBuffer {
    var bytes: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }
}

/// Reads committed fixture files (Tests/KafkaProtocolTests/Fixtures), located from this
/// source file's path so that tests need no bundle resources.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // KafkaProtocolTests
        .appendingPathComponent("Fixtures")

    static func data(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(path)))
    }

    static func buffer(_ path: String) throws -> ByteBuffer {
        ByteBuffer(bytes: try data(path))
    }

    static func names(in folder: String, suffix: String = "") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path)
            .filter { $0.hasSuffix(suffix) }
            .sorted()
    }
}

/// The repository root, found from this file's path (for the generated-code freshness test).
enum Repository {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Kafka's message specs, next to the worktree (`../shared/kafka-protocol/messages`).
    static let specsDirectory = root.deletingLastPathComponent()
        .appendingPathComponent("shared/kafka-protocol/messages")

    static var hasSpecs: Bool {
        FileManager.default.fileExists(atPath: specsDirectory.appendingPathComponent("FetchRequest.json").path)
    }
}

/// Hex helpers for writing expected bytes in tests.
enum Hex {
    static func bytes(_ text: String) -> [UInt8] {
        let digits = text.filter { $0.isHexDigit }
        var out: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            out.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    static func string(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// The first index where two sequences differ (the shorter one's length when one is a prefix).
func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
    (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
}
