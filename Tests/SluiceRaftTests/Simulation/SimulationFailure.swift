import SluiceRaft

/// One thing that happened in a simulation, kept (cheaply) for the failure report.
enum TraceEvent {
    case deliver(time: Int64, RaftEnvelope)
    case drop(time: Int64, RaftEnvelope, reason: String)
    case tick(time: Int64, node: Int32, RaftStatus)
    case persisted(time: Int64, node: Int32, RaftPersistence)
    case note(time: Int64, String)

    var description: String {
        switch self {
        case .deliver(let time, let envelope): return "\(time)ms deliver \(envelope)"
        case .drop(let time, let envelope, let reason): return "\(time)ms drop (\(reason)) \(envelope)"
        case .tick(let time, _, let status): return "\(time)ms tick \(status)"
        case .persisted(let time, let node, let persistence):
            var parts: [String] = []
            if let quorum = persistence.quorumState { parts.append("quorum(\(quorum))") }
            if let snapshot = persistence.snapshot { parts.append("snapshot \(snapshot.id)") }
            if let truncate = persistence.truncateFrom { parts.append("truncate from \(truncate)") }
            if let start = persistence.logStartOffset { parts.append("log start \(start)") }
            if !persistence.entries.isEmpty { parts.append("append \(persistence.entries)") }
            return "\(time)ms node \(node) persisted \(parts.joined(separator: ", "))"
        case .note(let time, let text): return "\(time)ms \(text)"
        }
    }
}

/// The last events of a run, in a ring buffer.
struct TraceRing {
    private var events: [TraceEvent] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        events.reserveCapacity(capacity)
    }

    mutating func record(_ event: TraceEvent) {
        guard capacity > 0 else { return }
        if events.count < capacity {
            events.append(event)
        } else {
            events[next] = event
            next = (next + 1) % capacity
        }
    }

    var ordered: [TraceEvent] { Array(events[next...] + events[..<next]) }
}

/// An invariant broke (or liveness failed). Carries everything needed to replay and debug it.
struct SimulationFailure: Error, CustomStringConvertible {
    let seed: UInt64
    let time: Int64
    let message: String
    let trace: [String]

    var description: String {
        let tail = trace.suffix(60).joined(separator: "\n    ")
        return """
            simulation failed: seed \(seed) at \(time)ms: \(message)
            replay: SIM_SEED=\(seed) swift test --filter RaftSimulation
            last events:
                \(tail)
            """
    }
}
