// FetchSnapshot (API key 59, KIP-630): a follower copies the leader's snapshot in chunks.

extension RaftMessage {
    public struct FetchSnapshotRequest: Hashable, Sendable {
        public var replicaID: Int32
        public var currentLeaderEpoch: Int32
        public var snapshotID: SnapshotID
        /// The byte position to continue from.
        public var position: Int64
        public var maxBytes: Int32

        public init(replicaID: Int32, currentLeaderEpoch: Int32, snapshotID: SnapshotID, position: Int64, maxBytes: Int32) {
            self.replicaID = replicaID
            self.currentLeaderEpoch = currentLeaderEpoch
            self.snapshotID = snapshotID
            self.position = position
            self.maxBytes = maxBytes
        }
    }

    public struct FetchSnapshotResponse: Hashable, Sendable {
        public var errorCode: RaftErrorCode
        public var snapshotID: SnapshotID
        public var currentLeader: LeaderAndEpoch
        /// The snapshot's total size in bytes.
        public var size: Int64
        /// Where `bytes` starts within the snapshot.
        public var position: Int64
        /// `UnalignedRecords`: the chunk.
        public var bytes: [UInt8]

        public init(
            errorCode: RaftErrorCode, snapshotID: SnapshotID, currentLeader: LeaderAndEpoch,
            size: Int64, position: Int64, bytes: [UInt8]
        ) {
            self.errorCode = errorCode
            self.snapshotID = snapshotID
            self.currentLeader = currentLeader
            self.size = size
            self.position = position
            self.bytes = bytes
        }
    }
}
