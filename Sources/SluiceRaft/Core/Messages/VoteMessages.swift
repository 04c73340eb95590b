// Vote (API key 52), with KIP-996's PreVote flag. Fields follow VoteRequest.json /
// VoteResponse.json for the single metadata partition; ClusterId, topic/partition wrapping and
// directory ids are the broker's to fill in. Optional ids are Kafka's -1.

extension RaftMessage {
    /// A (pre-)candidate asks for a vote.
    public struct VoteRequest: Hashable, Sendable {
        /// `ReplicaEpoch`: the candidate's bumped epoch, or for a pre-vote its current epoch.
        public var candidateEpoch: Int32
        /// `ReplicaId`: the candidate.
        public var candidateID: Int32
        /// `VoterId`: the voter this request is meant for.
        public var voterID: Int32
        /// `LastOffsetEpoch`: the epoch of the candidate's last record.
        public var lastOffsetEpoch: Int32
        /// `LastOffset`: the candidate's log end offset.
        public var lastOffset: Int64
        /// `PreVote` (VoteRequest v2): a non-binding poll that changes no one's epoch or vote.
        public var preVote: Bool

        public init(
            candidateEpoch: Int32, candidateID: Int32, voterID: Int32,
            lastOffsetEpoch: Int32, lastOffset: Int64, preVote: Bool
        ) {
            self.candidateEpoch = candidateEpoch
            self.candidateID = candidateID
            self.voterID = voterID
            self.lastOffsetEpoch = lastOffsetEpoch
            self.lastOffset = lastOffset
            self.preVote = preVote
        }
    }

    public struct VoteResponse: Hashable, Sendable {
        public var errorCode: RaftErrorCode
        /// The responder's leader, if it knows one.
        public var leaderID: Int32?
        /// The responder's epoch (after handling the request).
        public var leaderEpoch: Int32
        public var voteGranted: Bool

        public init(errorCode: RaftErrorCode, leaderID: Int32?, leaderEpoch: Int32, voteGranted: Bool) {
            self.errorCode = errorCode
            self.leaderID = leaderID
            self.leaderEpoch = leaderEpoch
            self.voteGranted = voteGranted
        }
    }
}
