import SluiceRaft

/// The simulated application: folds every committed data record into a digest. Two replicas
/// that applied the same records in the same order have the same digest, so comparing digests
/// checks snapshots as well as entries.
struct SimStateMachine {
    /// The next offset to apply.
    var appliedEnd: Int64 = 0
    var digest: UInt64 = 0xcbf2_9ce4_8422_2325
    var records: Int64 = 0

    mutating func apply(_ entry: LogEntry) {
        appliedEnd = entry.offset + 1
        guard case .data(let bytes) = entry.payload else { return }
        records += 1
        mix(UInt64(bitPattern: entry.offset))
        for byte in bytes { mix(UInt64(byte)) }
    }

    private mutating func mix(_ value: UInt64) {
        digest = (digest ^ value) &* 0x0000_0100_0000_01b3
    }

    /// The snapshot bytes: the three counters, padded with digest-derived bytes so that a
    /// snapshot spans several FetchSnapshot chunks.
    func snapshotData(padding: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in [UInt64(bitPattern: appliedEnd), digest, UInt64(bitPattern: records)] {
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        for i in 0..<padding { bytes.append(UInt8(truncatingIfNeeded: digest >> UInt64((i % 8) * 8)) ^ UInt8(truncatingIfNeeded: i)) }
        return bytes
    }

    /// Restores from `snapshotData`, or nil if the bytes are not one.
    static func restore(from bytes: [UInt8]) -> SimStateMachine? {
        guard bytes.count >= 24 else { return nil }
        func word(_ index: Int) -> UInt64 {
            var value: UInt64 = 0
            for i in 0..<8 { value |= UInt64(bytes[index * 8 + i]) << UInt64(i * 8) }
            return value
        }
        var machine = SimStateMachine()
        machine.appliedEnd = Int64(bitPattern: word(0))
        machine.digest = word(1)
        machine.records = Int64(bitPattern: word(2))
        guard machine.snapshotData(padding: bytes.count - 24) == bytes else { return nil }
        return machine
    }
}
