import NIOCore

/// Chooses a record's partition the way Kafka's Java client does, so that Swift, Java and
/// librdkafka (`partitioner=murmur2_random`) producers put the same key in the same partition.
///
/// - A record with an explicit partition goes there.
/// - A record with a key goes to `toPositive(murmur2(keyBytes)) % numPartitions`.
/// - A record without a key is *sticky*: it goes to the topic's current sticky partition, which
///   moves on (round-robin over the partitions) each time that partition's open batch is closed,
///   so null-key records fill whole batches instead of spreading one record per partition. This
///   is Kafka's default behaviour since 2.4 (KIP-480), without its load-based weighting.
public enum Partitioner {
    /// Kafka's murmur2: the 32-bit MurmurHash2 with seed 0x9747b28c, as `Utils.murmur2` computes it.
    public static func murmur2(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        let length = bytes.count
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        let length4 = length / 4
        for i in 0..<length4 {
            let i4 = i * 4
            var k = UInt32(bytes[i4]) | UInt32(bytes[i4 + 1]) << 8 | UInt32(bytes[i4 + 2]) << 16 | UInt32(bytes[i4 + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = length & ~3
        let rest = length % 4
        if rest == 3 { h ^= UInt32(bytes[tail + 2]) << 16 }
        if rest >= 2 { h ^= UInt32(bytes[tail + 1]) << 8 }
        if rest >= 1 {
            h ^= UInt32(bytes[tail])
            h = h &* m
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    public static func murmur2(_ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { murmur2($0) }
    }

    public static func murmur2(_ buffer: ByteBuffer) -> Int32 {
        buffer.withUnsafeReadableBytes { murmur2($0) }
    }

    /// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which differs for negatives).
    public static func toPositive(_ value: Int32) -> Int32 { value & 0x7fff_ffff }

    /// The partition for `key` among `partitionCount` partitions.
    public static func partition(forKey key: ByteBuffer, partitionCount: Int) -> Int32 {
        precondition(partitionCount > 0)
        return toPositive(murmur2(key)) % Int32(partitionCount)
    }
}
