/// A snapshot of the application's state machine (KIP-630): the application's opaque bytes
/// after applying every entry below `id.offset`, whose last entry had epoch `id.epoch`.
public struct RaftSnapshot: Hashable, Sendable, CustomStringConvertible {
    public var id: SnapshotID
    public var data: [UInt8]

    public init(id: SnapshotID, data: [UInt8]) {
        self.id = id
        self.data = data
    }

    public var description: String { "snapshot \(id) [\(data.count)B]" }
}

/// A snapshot a follower is fetching chunk by chunk with FetchSnapshot. Regular fetches pause
/// until it is complete; it is installed only whole.
struct SnapshotDownload: Sendable {
    let id: SnapshotID
    /// The leader epoch the download belongs to; a new epoch abandons it.
    let epoch: Int32
    var bytes: [UInt8] = []
    /// The total size, learned from the first response.
    var size: Int64?
    var inflight: InflightRequest?

    init(id: SnapshotID, epoch: Int32) {
        self.id = id
        self.epoch = epoch
    }
}

/// A request this node is waiting on: whom it went to, its correlation id and when it left.
struct InflightRequest: Sendable, Hashable {
    let destination: Int32
    let correlationID: Int32
    let sentAt: Int64
}
