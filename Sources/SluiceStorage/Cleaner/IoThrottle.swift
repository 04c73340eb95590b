import SluiceBase

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the cleaner's reads and writes under `log.cleaner.io.max.bytes.per.second` by sleeping
/// when it runs ahead of that rate (Kafka's `Throttler`), so compaction never starves produce
/// and fetch of disk bandwidth.
struct IoThrottle {
    let bytesPerSecond: Double
    private var windowStart = Posix.monotonicNs()
    private var windowBytes = 0.0

    init(bytesPerSecond: Double) {
        self.bytesPerSecond = bytesPerSecond
    }

    mutating func account(_ bytes: Int) {
        guard bytesPerSecond.isFinite, bytesPerSecond > 0 else { return }
        windowBytes += Double(bytes)
        let elapsed = Double(Posix.monotonicNs() - windowStart) / 1e9
        let due = windowBytes / bytesPerSecond
        if due > elapsed {
            usleep(UInt32(min((due - elapsed) * 1e6, 1e6)))
        }
        if elapsed > 1 {
            windowStart = Posix.monotonicNs()
            windowBytes = 0
        }
    }
}
