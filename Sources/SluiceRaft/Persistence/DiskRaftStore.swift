/// A `RaftStore` in a directory, durable across SIGKILL and power loss (every operation is
/// fsynced before `persist` returns):
///
///     <directory>/quorum-state                         epoch, vote, leader (JSON, atomic replace)
///     <directory>/snapshots/<end>-<epoch>.checkpoint   the latest snapshot (atomic)
///     <directory>/log/<base offset>.log                log segments (append + fsync)
///
/// Not thread-safe: one driver thread owns it (and must not be an event loop: it blocks on
/// fsync).
public final class DiskRaftStore: RaftStore {
    public let directory: String
    private let quorumFile: QuorumStateFile
    private let snapshots: DiskSnapshots
    private let log: DiskLog

    /// Opens (creating if needed) the store in `directory`. Call `load()` before `persist(_:)`.
    public init(directory: String, segmentBytes: Int = 8 << 20) throws(RaftStoreError) {
        self.directory = directory
        try PosixFile.makeDirectory(directory)
        quorumFile = QuorumStateFile(path: directory + "/quorum-state", directory: directory)
        snapshots = DiskSnapshots(directory: directory + "/snapshots")
        log = DiskLog(directory: directory + "/log", segmentBytes: max(1, segmentBytes))
    }

    /// Reads the state back, cutting off a torn log tail (durably) on the way.
    public func load() throws -> RaftPersistedState {
        let quorumState = try quorumFile.load()
        let snapshot = try snapshots.loadLatest()
        let (start, entries) = try log.load(emptyStart: snapshot?.id.offset ?? 0)
        return RaftPersistedState(quorumState: quorumState, snapshot: snapshot, logStartOffset: start, entries: entries)
    }

    public func persist(_ persistence: RaftPersistence) throws {
        for operation in persistence.operations {
            try apply(operation)
        }
    }

    /// Performs one durable step (exposed for tests that stop half-way).
    public func apply(_ operation: RaftPersistOperation) throws(RaftStoreError) {
        switch operation {
        case .writeQuorumState(let state): try quorumFile.write(state)
        case .writeSnapshot(let snapshot): try snapshots.write(snapshot)
        case .truncateLog(let offset): try log.truncate(from: offset)
        case .setLogStart(let offset): try log.setStart(offset)
        case .append(let entries): try log.append(entries)
        }
    }
}
