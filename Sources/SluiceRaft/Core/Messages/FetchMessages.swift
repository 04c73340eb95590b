// Fetch (API key 1) as KRaft uses it on the metadata partition: followers pull from the leader.
// The fields are FetchRequest/FetchResponse v13+'s partition-level fields.

extension RaftMessage {
    public struct FetchRequest: Hashable, Sendable {
        /// `ReplicaId` (`ReplicaState.ReplicaId` in v15+): the fetching replica.
        public var replicaID: Int32
        /// `CurrentLeaderEpoch`: the epoch the fetcher believes current.
        public var currentLeaderEpoch: Int32
        /// `FetchOffset`: the fetcher's log end offset.
        public var fetchOffset: Int64
        /// `LastFetchedEpoch`: the epoch of the fetcher's last record (0 for an empty log).
        public var lastFetchedEpoch: Int32
        /// `LogStartOffset`: the fetcher's first offset.
        public var logStartOffset: Int64
        /// `MaxWaitMs`, in ticks: how long the leader may park the request when it has nothing.
        public var maxWaitTicks: Int32
        /// `PartitionMaxBytes`.
        public var maxBytes: Int32

        public init(
            replicaID: Int32, currentLeaderEpoch: Int32, fetchOffset: Int64, lastFetchedEpoch: Int32,
            logStartOffset: Int64, maxWaitTicks: Int32, maxBytes: Int32
        ) {
            self.replicaID = replicaID
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.lastFetchedEpoch = lastFetchedEpoch
            self.logStartOffset = logStartOffset
            self.maxWaitTicks = maxWaitTicks
            self.maxBytes = maxBytes
        }
    }

    public struct FetchResponse: Hashable, Sendable {
        public var errorCode: RaftErrorCode
        /// `HighWatermark`, or nil (Kafka's -1) when the responder does not know it.
        public var highWatermark: Int64?
        public var logStartOffset: Int64
        /// `DivergingEpoch`: the fetcher's log diverges; truncate to at most this and fetch again.
        public var divergingEpoch: OffsetAndEpoch?
        /// `CurrentLeader`: the responder's view of the leader and epoch.
        public var currentLeader: LeaderAndEpoch
        /// `SnapshotId`: the fetcher is behind the log start; fetch this snapshot.
        public var snapshotID: SnapshotID?
        /// `Records`: the entries from the fetch offset, when the position was valid.
        public var entries: [LogEntry]

        public init(
            errorCode: RaftErrorCode, highWatermark: Int64?, logStartOffset: Int64,
            divergingEpoch: OffsetAndEpoch? = nil, currentLeader: LeaderAndEpoch,
            snapshotID: SnapshotID? = nil, entries: [LogEntry] = []
        ) {
            self.errorCode = errorCode
            self.highWatermark = highWatermark
            self.logStartOffset = logStartOffset
            self.divergingEpoch = divergingEpoch
            self.currentLeader = currentLeader
            self.snapshotID = snapshotID
            self.entries = entries
        }
    }
}
