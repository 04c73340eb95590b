import SluiceBase

/// Snapshot files `<end offset, 20 digits>-<epoch, 10 digits>.checkpoint` (KIP-630's naming):
///
///     "SLRS" | u32 version 1 | i64 endOffset | i32 epoch | u64 length | u32 crc32c(data) | data
///
/// Written atomically (temporary file, fsync, rename, directory fsync); older snapshots are
/// deleted only after the new one is durable. A file that does not check out is skipped, so a
/// damaged newest snapshot falls back to the previous one rather than failing.
struct DiskSnapshots {
    let directory: String
    private static let magic: [UInt8] = Array("SLRS".utf8)
    private static let headerSize = 32

    private func fileName(_ id: SnapshotID) -> String {
        func pad(_ value: String, _ width: Int) -> String { String(repeating: "0", count: max(0, width - value.count)) + value }
        return pad(String(id.offset), 20) + "-" + pad(String(id.epoch), 10) + ".checkpoint"
    }

    /// The newest valid snapshot, if any.
    func loadLatest() throws(RaftStoreError) -> RaftSnapshot? {
        try PosixFile.makeDirectory(directory)
        var candidates: [(SnapshotID, String)] = []
        for name in try PosixFile.list(directory) {
            if name.hasSuffix(".tmp") {
                try PosixFile.removeFile(directory + "/" + name)
                continue
            }
            guard name.hasSuffix(".checkpoint") else { continue }
            let parts = name.dropLast(".checkpoint".count).split(separator: "-")
            guard parts.count == 2, let offset = Int64(parts[0]), let epoch = Int32(parts[1]) else { continue }
            candidates.append((SnapshotID(offset: offset, epoch: epoch), name))
        }
        for (id, name) in candidates.sorted(by: { $0.0.offset > $1.0.offset }) {
            if let bytes = try PosixFile.readAll(directory + "/" + name), let snapshot = Self.decode(bytes), snapshot.id == id {
                return snapshot
            }
        }
        return nil
    }

    func write(_ snapshot: RaftSnapshot) throws(RaftStoreError) {
        try PosixFile.makeDirectory(directory)
        let name = fileName(snapshot.id)
        try PosixFile.writeAtomically(Self.encode(snapshot), to: directory + "/" + name, directory: directory)
        // Only now may older snapshots go.
        var removed = false
        for other in try PosixFile.list(directory) where other.hasSuffix(".checkpoint") && other != name {
            let offset = other.split(separator: "-").first.flatMap { Int64($0) } ?? Int64.max
            if offset < snapshot.id.offset {
                try PosixFile.removeFile(directory + "/" + other)
                removed = true
            }
        }
        if removed { try PosixFile.syncDirectory(directory) }
    }

    static func encode(_ snapshot: RaftSnapshot) -> [UInt8] {
        var bytes = magic
        RecordCodec.putUInt32(1, &bytes)
        RecordCodec.putInt64(snapshot.id.offset, &bytes)
        RecordCodec.putInt32(snapshot.id.epoch, &bytes)
        RecordCodec.putInt64(Int64(snapshot.data.count), &bytes)
        RecordCodec.putUInt32(CRC32C.checksum(snapshot.data), &bytes)
        bytes.append(contentsOf: snapshot.data)
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> RaftSnapshot? {
        guard bytes.count >= headerSize, Array(bytes[0..<4]) == magic, RecordCodec.getUInt32(bytes, 4) == 1 else { return nil }
        let offset = Int64(bitPattern: RecordCodec.getUInt64(bytes, 8))
        let epoch = Int32(bitPattern: RecordCodec.getUInt32(bytes, 16))
        let length = Int64(bitPattern: RecordCodec.getUInt64(bytes, 20))
        let crc = RecordCodec.getUInt32(bytes, 28)
        guard length >= 0, length == Int64(bytes.count - headerSize) else { return nil }
        let data = Array(bytes[headerSize...])
        guard CRC32C.checksum(data) == crc else { return nil }
        return RaftSnapshot(id: SnapshotID(offset: offset, epoch: epoch), data: data)
    }
}
