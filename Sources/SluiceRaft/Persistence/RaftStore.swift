/// Where a node's durable state lives: its election state, its log and its latest snapshot.
///
/// `persist(_:)` returns only once everything it was given is durable (for a disk store: written
/// and fsynced); the driver sends a Ready's messages after that. `load()` returns what survived,
/// which `RaftNode.init(config:persisted:)` normalises.
public protocol RaftStore {
    func load() throws -> RaftPersistedState
    mutating func persist(_ persistence: RaftPersistence) throws
}

/// A store failed: the state on disk is unreadable or contradicts itself, or an operation could
/// not be carried out.
public struct RaftStoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Hashable {
        /// The durable state is damaged beyond what crash recovery repairs.
        case corrupt
        /// A system call failed.
        case io
        /// The operation does not fit the stored log (an append that leaves a gap).
        case invalidOperation
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "RaftStoreError(\(kind)): \(message)" }
}
