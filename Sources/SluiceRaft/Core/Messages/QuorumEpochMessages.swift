// BeginQuorumEpoch (53) and EndQuorumEpoch (54), as in their JSON specs for one partition.

extension RaftMessage {
    /// A new leader announces itself to the voters (sent until each acknowledges or fetches).
    public struct BeginQuorumEpochRequest: Hashable, Sendable {
        /// `VoterId`: the voter this request is meant for.
        public var voterID: Int32
        public var leaderID: Int32
        public var leaderEpoch: Int32

        public init(voterID: Int32, leaderID: Int32, leaderEpoch: Int32) {
            self.voterID = voterID
            self.leaderID = leaderID
            self.leaderEpoch = leaderEpoch
        }
    }

    public struct BeginQuorumEpochResponse: Hashable, Sendable {
        public var errorCode: RaftErrorCode
        public var leaderID: Int32?
        public var leaderEpoch: Int32

        public init(errorCode: RaftErrorCode, leaderID: Int32?, leaderEpoch: Int32) {
            self.errorCode = errorCode
            self.leaderID = leaderID
            self.leaderEpoch = leaderEpoch
        }
    }

    /// A leader gives up its epoch and names the voters best placed to succeed it.
    public struct EndQuorumEpochRequest: Hashable, Sendable {
        public var leaderID: Int32
        public var leaderEpoch: Int32
        /// `PreferredCandidates` (v1; `PreferredSuccessors` in v0): the other voters, most
        /// up-to-date first. The first starts its election at once, the others back off.
        public var preferredCandidates: [Int32]

        public init(leaderID: Int32, leaderEpoch: Int32, preferredCandidates: [Int32]) {
            self.leaderID = leaderID
            self.leaderEpoch = leaderEpoch
            self.preferredCandidates = preferredCandidates
        }
    }

    public struct EndQuorumEpochResponse: Hashable, Sendable {
        public var errorCode: RaftErrorCode
        public var leaderID: Int32?
        public var leaderEpoch: Int32

        public init(errorCode: RaftErrorCode, leaderID: Int32?, leaderEpoch: Int32) {
            self.errorCode = errorCode
            self.leaderID = leaderID
            self.leaderEpoch = leaderEpoch
        }
    }
}
