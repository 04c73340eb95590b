/// A store in memory, for tests and the simulation. It applies operations one at a time, so a
/// simulated crash can stop a `RaftPersistence` half-way (`apply(_:)` a prefix of `operations`)
/// exactly where a disk store could be interrupted.
public struct MemoryRaftStore: RaftStore, Sendable {
    public private(set) var quorumState = QuorumState()
    public private(set) var snapshot: RaftSnapshot?
    /// The offset of `entries.first`, or where an empty log continues.
    public private(set) var logStartOffset: Int64 = 0
    public private(set) var entries: [LogEntry] = []

    public init() {}

    public var logEndOffset: Int64 { logStartOffset + Int64(entries.count) }

    public func entry(at offset: Int64) -> LogEntry? {
        guard offset >= logStartOffset, offset < logEndOffset else { return nil }
        return entries[Int(offset - logStartOffset)]
    }

    public func load() -> RaftPersistedState {
        RaftPersistedState(quorumState: quorumState, snapshot: snapshot, logStartOffset: logStartOffset, entries: entries)
    }

    public mutating func persist(_ persistence: RaftPersistence) throws {
        for operation in persistence.operations {
            try apply(operation)
        }
    }

    /// Applies one durable step.
    public mutating func apply(_ operation: RaftPersistOperation) throws(RaftStoreError) {
        switch operation {
        case .writeQuorumState(let state):
            quorumState = state
        case .writeSnapshot(let newSnapshot):
            if snapshot.map({ $0.id.offset <= newSnapshot.id.offset }) ?? true {
                snapshot = newSnapshot
            }
        case .truncateLog(let offset):
            let keep = Int(min(max(0, offset - logStartOffset), Int64(entries.count)))
            entries.removeSubrange(keep...)
        case .setLogStart(let offset):
            guard offset > logStartOffset else { return }
            let drop = Int(min(offset - logStartOffset, Int64(entries.count)))
            entries.removeFirst(drop)
            logStartOffset = offset
        case .append(let newEntries):
            guard let first = newEntries.first else { return }
            guard first.offset == logEndOffset else {
                throw RaftStoreError(.invalidOperation, "append at \(first.offset) to a log ending at \(logEndOffset)")
            }
            entries.append(contentsOf: newEntries)
        }
    }
}
