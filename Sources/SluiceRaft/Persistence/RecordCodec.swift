import SluiceBase

/// The on-disk form of a log entry:
///
///     u32 bodyLength | u32 crc32c(body) | body
///     body = i64 offset | i32 epoch | u8 kind | payload
///     kind 0 (data):          payload = the application's bytes
///     kind 1 (leader change): payload = i32 leader | u32 n | n × i32 voter | u32 m | m × i32 granting
///
/// Little-endian. Decoding never traps: anything short, oversized or failing its checksum is
/// reported as the end of the valid log.
enum RecordCodec {
    static let headerSize = 8
    /// Larger bodies are treated as garbage (a torn length field).
    static let maxBodySize = 64 << 20

    static func encode(_ entry: LogEntry, into out: inout [UInt8]) {
        var body: [UInt8] = []
        body.reserveCapacity(entry.approximateBytes)
        putInt64(entry.offset, &body)
        putInt32(entry.epoch, &body)
        switch entry.payload {
        case .data(let bytes):
            body.append(0)
            body.append(contentsOf: bytes)
        case .leaderChange(let change):
            body.append(1)
            putInt32(change.leaderID, &body)
            putUInt32(UInt32(change.voters.count), &body)
            change.voters.forEach { putInt32($0, &body) }
            putUInt32(UInt32(change.grantingVoters.count), &body)
            change.grantingVoters.forEach { putInt32($0, &body) }
        }
        putUInt32(UInt32(body.count), &out)
        putUInt32(CRC32C.checksum(body), &out)
        out.append(contentsOf: body)
    }

    /// Decodes the record at `position`: the entry and the position after it, or nil when the
    /// bytes there are not a complete, valid record.
    static func decode(_ bytes: [UInt8], at position: Int) -> (entry: LogEntry, next: Int)? {
        guard bytes.count - position >= headerSize else { return nil }
        let length = Int(getUInt32(bytes, position))
        let crc = getUInt32(bytes, position + 4)
        let start = position + headerSize
        guard length >= 13, length <= maxBodySize, bytes.count - start >= length else { return nil }
        let body = bytes[start..<(start + length)]
        guard CRC32C.checksum(body) == crc else { return nil }
        let offset = Int64(bitPattern: getUInt64(bytes, start))
        let epoch = Int32(bitPattern: getUInt32(bytes, start + 8))
        let kind = bytes[start + 12]
        let payloadStart = start + 13
        let end = start + length
        let payload: LogEntry.Payload
        switch kind {
        case 0:
            payload = .data(Array(bytes[payloadStart..<end]))
        case 1:
            var cursor = payloadStart
            func int32() -> Int32? {
                guard end - cursor >= 4 else { return nil }
                defer { cursor += 4 }
                return Int32(bitPattern: getUInt32(bytes, cursor))
            }
            func list() -> [Int32]? {
                guard let count = int32(), count >= 0, Int(count) <= (end - cursor) / 4 else { return nil }
                var values: [Int32] = []
                for _ in 0..<count {
                    guard let value = int32() else { return nil }
                    values.append(value)
                }
                return values
            }
            guard let leader = int32(), let voters = list(), let granting = list(), cursor == end else { return nil }
            payload = .leaderChange(LeaderChange(leaderID: leader, voters: voters, grantingVoters: granting))
        default:
            return nil
        }
        return (LogEntry(offset: offset, epoch: epoch, payload: payload), end)
    }

    static func putUInt32(_ value: UInt32, _ out: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    static func putInt32(_ value: Int32, _ out: inout [UInt8]) { putUInt32(UInt32(bitPattern: value), &out) }

    static func putInt64(_ value: Int64, _ out: inout [UInt8]) {
        let raw = UInt64(bitPattern: value)
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: raw >> UInt64(shift))) }
    }

    static func getUInt32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[at + i]) << UInt32(i * 8) }
        return value
    }

    static func getUInt64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[at + i]) << UInt64(i * 8) }
        return value
    }
}
