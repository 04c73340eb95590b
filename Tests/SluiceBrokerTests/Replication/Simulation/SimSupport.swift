import Foundation
/// SplitMix64: a small seeded generator, so a seed replays a simulation exactly.
struct ReplRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func chance(_ probability: Double) -> Bool {
        Double(next() >> 11) / Double(1 << 53) < probability
    }

    mutating func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[below(items.count)] }
}

/// A min-heap of events by (time, insertion order): events at the same instant run in the order
/// they were scheduled, which keeps runs deterministic.
struct ReplEventQueue<Event> {
    private struct Item {
        let time: Int64
        let sequence: UInt64
        let event: Event

        func precedes(_ other: Item) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    private var items: [Item] = []
    private var nextSequence: UInt64 = 0

    var nextTime: Int64? { items.first?.time }
    var count: Int { items.count }

    mutating func schedule(at time: Int64, _ event: Event) {
        items.append(Item(time: time, sequence: nextSequence, event: event))
        nextSequence += 1
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (time: Int64, event: Event)? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let item = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && items[left].precedes(items[smallest]) { smallest = left }
            if right < items.count && items[right].precedes(items[smallest]) { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return (item.time, item.event)
    }
}

/// The last events of a run, kept for the failure report.
struct ReplTrace {
    private var lines: [String] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    mutating func record(_ time: Int64, _ line: @autoclosure () -> String) {
        guard capacity > 0 else { return }
        let text = "\(time)ms \(line())"
        if lines.count < capacity { lines.append(text) } else {
            lines[next] = text
            next = (next + 1) % capacity
        }
    }

    var ordered: [String] { Array(lines[next...] + lines[..<next]) }
}

/// A broken invariant (or a liveness bound missed), with what is needed to replay it.
struct ReplicationSimulationFailure: Error, CustomStringConvertible {
    let seed: UInt64
    let time: Int64
    let message: String
    let trace: [String]

    var description: String {
        """
        replication simulation failed: seed \(seed) at \(time)ms: \(message)
        replay: REPL_SIM_SEED=\(seed) swift test --filter ReplicationSimulation
        last events:
            \(trace.suffix(Int(ProcessInfo.processInfo.environment["REPL_SIM_TRACE"] ?? "80") ?? 80).joined(separator: "\n    "))
        """
    }
}
