import Foundation

/// What `sluice verify` knows about one partition: the sequence numbers it produced, the ones
/// the cluster acknowledged (with their offsets), and what a consumer read back.
///
/// - **lost**: acknowledged, but never read at the offset it was acknowledged with;
/// - **duplicated**: one sequence number read at two different offsets (re-reading the same
///   offset after a reconnect is not a duplicate);
/// - **out of order**: read after a higher sequence number of the same partition;
/// - **longest unavailability**: the longest time in which the partition acknowledged nothing
///   although the producer had records waiting.
struct PartitionLedger: Sendable {
    var produced = 0
    var acknowledged: [Int64: Int64] = [:]
    var failed = 0
    var consumed: [Int64: Int64] = [:]
    var duplicated = 0
    var outOfOrder = 0
    private var highestConsumedSeq: Int64 = -1
    private var lastConsumedOffset: Int64 = -1
    /// When the partition last acknowledged something (or production started).
    private var lastProgress: Double?
    private(set) var longestUnavailable: Double = 0
    private(set) var unavailableSince: Double?

    mutating func started(at time: Double) {
        if lastProgress == nil { lastProgress = time }
    }

    mutating func produced(at time: Double) {
        produced += 1
        if lastProgress == nil { lastProgress = time }
    }

    mutating func acknowledged(seq: Int64, offset: Int64, at time: Double) {
        acknowledged[seq] = offset
        progress(at: time)
    }

    /// The first failure the producer reported, and when (seconds into the run).
    private(set) var firstFailure: (error: String, at: Double)?

    mutating func failed(at time: Double, error: String) {
        failed += 1
        if firstFailure == nil { firstFailure = (error, time) }
    }

    private mutating func progress(at time: Double) {
        if let last = lastProgress { longestUnavailable = max(longestUnavailable, time - last) }
        lastProgress = time
    }

    /// The producer stopped at `time` with nothing outstanding: close the current window.
    mutating func finished(at time: Double, outstanding: Bool) {
        if outstanding, let last = lastProgress { longestUnavailable = max(longestUnavailable, time - last) }
    }

    /// The current window without an acknowledgement (for progress lines).
    func quietFor(at time: Double) -> Double { lastProgress.map { time - $0 } ?? 0 }

    mutating func consumed(seq: Int64, offset: Int64) {
        guard offset > lastConsumedOffset else { return }  // read again after a reconnect
        lastConsumedOffset = offset
        if let earlier = consumed[seq] {
            if earlier != offset { duplicated += 1 }
            return
        }
        consumed[seq] = offset
        if seq < highestConsumedSeq { outOfOrder += 1 }
        highestConsumedSeq = max(highestConsumedSeq, seq)
    }

    /// Acknowledged sequence numbers not read at their acknowledged offset.
    var lost: [Int64] {
        acknowledged.filter { seq, offset in consumed[seq] != offset }.keys.sorted()
    }

    /// Produced records with neither an acknowledgement nor a failure (yet).
    var unanswered: Int { max(0, produced - acknowledged.count - failed) }

    /// The offset after the last acknowledged record (what a reader must reach).
    var acknowledgedEnd: Int64 { (acknowledged.values.max() ?? -1) + 1 }
}

/// The whole run's ledger, thread-safe (the producer's delivery callbacks and the consumer
/// update it concurrently).
final class VerifyLedger: @unchecked Sendable {
    // @unchecked Sendable: `partitions` is only touched while `lock` is held.
    private let lock = NSLock()
    private var partitions: [PartitionLedger]
    let start = Date()

    init(partitions: Int) {
        self.partitions = Array(repeating: PartitionLedger(), count: partitions)
    }

    var now: Double { Date().timeIntervalSince(start) }

    func update<T>(_ partition: Int, _ body: (inout PartitionLedger) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&partitions[partition])
    }

    var snapshot: [PartitionLedger] {
        lock.lock()
        defer { lock.unlock() }
        return partitions
    }
}
