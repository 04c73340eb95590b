/// xxHash32, the checksum of the LZ4 frame format (header, block and content checksums).
///
/// Written from the xxHash specification (XXH32, seed 0 in every LZ4 use).
enum XXHash32 {
    private static let prime1: UInt32 = 0x9E37_79B1
    private static let prime2: UInt32 = 0x85EB_CA77
    private static let prime3: UInt32 = 0xC2B2_AE3D
    private static let prime4: UInt32 = 0x27D4_EB2F
    private static let prime5: UInt32 = 0x1656_67B1

    @inline(__always)
    private static func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }

    @inline(__always)
    private static func lane(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        UInt32(p[i]) | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2]) << 16 | UInt32(p[i + 3]) << 24
    }

    @inline(__always)
    private static func round(_ acc: UInt32, _ input: UInt32) -> UInt32 {
        rotl(acc &+ input &* prime2, 13) &* prime1
    }

    static func hash(_ p: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        let length = p.count
        var i = 0
        var acc: UInt32
        if length >= 16 {
            var v1 = seed &+ prime1 &+ prime2
            var v2 = seed &+ prime2
            var v3 = seed
            var v4 = seed &- prime1
            while i + 16 <= length {
                v1 = round(v1, lane(p, i))
                v2 = round(v2, lane(p, i + 4))
                v3 = round(v3, lane(p, i + 8))
                v4 = round(v4, lane(p, i + 12))
                i += 16
            }
            acc = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
        } else {
            acc = seed &+ prime5
        }
        acc = acc &+ UInt32(truncatingIfNeeded: length)
        while i + 4 <= length {
            acc = rotl(acc &+ lane(p, i) &* prime3, 17) &* prime4
            i += 4
        }
        while i < length {
            acc = rotl(acc &+ UInt32(p[i]) &* prime5, 11) &* prime1
            i += 1
        }
        acc ^= acc >> 15
        acc = acc &* prime2
        acc ^= acc >> 13
        acc = acc &* prime3
        acc ^= acc >> 16
        return acc
    }

    static func hash(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }
}
