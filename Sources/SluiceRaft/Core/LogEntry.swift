/// One record of the replicated log.
public struct LogEntry: Hashable, Sendable, CustomStringConvertible {
    public var offset: Int64
    /// The epoch of the leader that appended it.
    public var epoch: Int32
    public var payload: Payload

    public init(offset: Int64, epoch: Int32, payload: Payload) {
        self.offset = offset
        self.epoch = epoch
        self.payload = payload
    }

    /// What a record carries: the application's bytes, or a control record of the quorum itself.
    public enum Payload: Hashable, Sendable {
        /// Opaque application data (metadata records, for the controller).
        case data([UInt8])
        /// KRaft's `LeaderChangeMessage`: the first record of every epoch, appended by its new
        /// leader. Committing it is what lets the leader commit anything from earlier epochs.
        case leaderChange(LeaderChange)
    }

    /// A rough size used to bound Fetch responses (payload plus a fixed header, like a record).
    var approximateBytes: Int {
        switch payload {
        case .data(let bytes): return 24 + bytes.count
        case .leaderChange(let change): return 24 + 4 * (1 + change.voters.count + change.grantingVoters.count)
        }
    }

    public var description: String {
        switch payload {
        case .data(let bytes): return "#\(offset)@e\(epoch)[\(bytes.count)B]"
        case .leaderChange(let change): return "#\(offset)@e\(epoch)[leader \(change.leaderID)]"
        }
    }
}

/// The control record a new leader writes at the start of its epoch (`LeaderChangeMessage.json`).
public struct LeaderChange: Hashable, Sendable {
    public var leaderID: Int32
    /// The voter set in force.
    public var voters: [Int32]
    /// The voters that granted the winning votes.
    public var grantingVoters: [Int32]

    public init(leaderID: Int32, voters: [Int32], grantingVoters: [Int32]) {
        self.leaderID = leaderID
        self.voters = voters
        self.grantingVoters = grantingVoters
    }
}
