import SluiceBase

/// A per-data-directory file of one offset per partition, in Kafka's format: a version line (0),
/// a count line, then `<topic> <partition> <offset>` lines. Replaced atomically.
///
/// Sluice keeps four, with Kafka's names: `recovery-point-offset-checkpoint` (offsets below which
/// data is fsynced), `log-start-offset-checkpoint`, `replication-offset-checkpoint` (high
/// watermarks) and `cleaner-offset-checkpoint` (where each compacted log's dirty part begins).
struct OffsetCheckpointFile {
    static let recoveryPoint = "recovery-point-offset-checkpoint"
    static let logStartOffset = "log-start-offset-checkpoint"
    static let highWatermark = "replication-offset-checkpoint"
    static let cleanerOffset = "cleaner-offset-checkpoint"

    let path: String

    init(directory: String, name: String) {
        self.path = "\(directory)/\(name)"
    }

    static func encode(_ offsets: [TopicPartition: Int64]) -> String {
        var text = "0\n\(offsets.count)\n"
        for (tp, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            text += "\(tp.topic) \(tp.partition) \(offset)\n"
        }
        return text
    }

    /// Parses a checkpoint; nil when the text is malformed.
    static func decode(_ text: String) -> [TopicPartition: Int64]? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 2, lines[0] == "0", let count = Int(lines[1]), count >= 0, lines.count >= 2 + count
        else { return nil }
        var out: [TopicPartition: Int64] = [:]
        for line in lines[2..<(2 + count)] {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let partition = Int32(parts[1]), let offset = Int64(parts[2]) else { return nil }
            out[TopicPartition(String(parts[0]), partition)] = offset
        }
        return out
    }

    func write(_ offsets: [TopicPartition: Int64], faults: StorageFaults? = nil) throws {
        try AtomicFile.write(Self.encode(offsets), to: path, faults: faults)
    }

    /// The file's offsets: empty when it does not exist, nil when it is unreadable (callers then
    /// assume nothing, e.g. a recovery point of zero).
    func read() -> [TopicPartition: Int64]? {
        guard exists else { return [:] }
        guard let bytes = try? AtomicFile.read(path) else { return nil }
        return Self.decode(String(decoding: bytes, as: UTF8.self))
    }

    var exists: Bool { Posix.fileExists(path) }
}
