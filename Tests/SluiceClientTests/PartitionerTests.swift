import NIOCore
import Testing
@testable import SluiceClient

@Suite struct PartitionerTests {
    /// The vectors of Kafka's `UtilsTest.testMurmur2` (the Java client's values).
    @Test func murmur2MatchesTheJavaClient() {
        let cases: [(String, Int32)] = [
            ("21", -973_932_308),
            ("foobar", -790_332_482),
            ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            ("abc", 479_470_107),
        ]
        for (key, expected) in cases {
            #expect(Partitioner.murmur2(Array(key.utf8)) == expected, "murmur2(\(key))")
        }
    }

    @Test func partitionIsToPositiveModuloCount() {
        // toPositive(-973932308) = 1173551340; % 7 = 1173551340 - 7*167650191 = 3
        #expect(Partitioner.partition(forKey: ByteBuffer(string: "21"), partitionCount: 7) == 3)
        #expect(Partitioner.toPositive(Int32.min) == 0)
        #expect(Partitioner.toPositive(-1) == Int32.max)
        for n in 1...16 {
            let p = Partitioner.partition(forKey: ByteBuffer(string: "foobar"), partitionCount: n)
            #expect(p >= 0 && p < n)
        }
    }
}
