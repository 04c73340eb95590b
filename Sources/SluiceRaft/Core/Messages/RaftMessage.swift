/// Every message the quorum exchanges, one case per Kafka request or response. The broker maps
/// each onto its Kafka API (`VoteRequest`, `BeginQuorumEpochRequest`, `EndQuorumEpochRequest`,
/// `FetchRequest`/`FetchResponse` on the `__cluster_metadata` partition, `FetchSnapshot`) and back.
///
/// The message structs are nested in this enum so that they never clash with KafkaProtocol's
/// generated types of the same names.
public enum RaftMessage: Hashable, Sendable {
    case voteRequest(VoteRequest)
    case voteResponse(VoteResponse)
    case beginQuorumEpochRequest(BeginQuorumEpochRequest)
    case beginQuorumEpochResponse(BeginQuorumEpochResponse)
    case endQuorumEpochRequest(EndQuorumEpochRequest)
    case endQuorumEpochResponse(EndQuorumEpochResponse)
    case fetchRequest(FetchRequest)
    case fetchResponse(FetchResponse)
    case fetchSnapshotRequest(FetchSnapshotRequest)
    case fetchSnapshotResponse(FetchSnapshotResponse)

    /// Whether this is a request (answered with the same correlation id) or a response.
    public var isRequest: Bool {
        switch self {
        case .voteRequest, .beginQuorumEpochRequest, .endQuorumEpochRequest, .fetchRequest, .fetchSnapshotRequest:
            return true
        default:
            return false
        }
    }
}

/// A message with its addressing. `correlationID` is the Kafka request header's correlation id:
/// a response carries its request's id, which is how the core recognises (and discards) stale or
/// duplicated responses.
public struct RaftEnvelope: Hashable, Sendable, CustomStringConvertible {
    public var source: Int32
    public var destination: Int32
    public var correlationID: Int32
    public var message: RaftMessage

    public init(source: Int32, destination: Int32, correlationID: Int32, message: RaftMessage) {
        self.source = source
        self.destination = destination
        self.correlationID = correlationID
        self.message = message
    }

    public var description: String { "\(source)->\(destination) #\(correlationID) \(message)" }
}

/// The Kafka error codes the quorum APIs use, with Kafka's numeric values.
public struct RaftErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16

    public init(rawValue: Int16) {
        self.rawValue = rawValue
    }

    public static let none = RaftErrorCode(rawValue: 0)
    public static let notLeaderOrFollower = RaftErrorCode(rawValue: 6)
    public static let invalidRequest = RaftErrorCode(rawValue: 42)
    public static let fencedLeaderEpoch = RaftErrorCode(rawValue: 74)
    public static let unknownLeaderEpoch = RaftErrorCode(rawValue: 75)
    public static let inconsistentVoterSet = RaftErrorCode(rawValue: 94)
    public static let snapshotNotFound = RaftErrorCode(rawValue: 98)
    public static let positionOutOfRange = RaftErrorCode(rawValue: 99)
    public static let invalidVoterKey = RaftErrorCode(rawValue: 125)

    public var description: String {
        switch self {
        case .none: return "NONE"
        case .notLeaderOrFollower: return "NOT_LEADER_OR_FOLLOWER"
        case .invalidRequest: return "INVALID_REQUEST"
        case .fencedLeaderEpoch: return "FENCED_LEADER_EPOCH"
        case .unknownLeaderEpoch: return "UNKNOWN_LEADER_EPOCH"
        case .inconsistentVoterSet: return "INCONSISTENT_VOTER_SET"
        case .snapshotNotFound: return "SNAPSHOT_NOT_FOUND"
        case .positionOutOfRange: return "POSITION_OUT_OF_RANGE"
        case .invalidVoterKey: return "INVALID_VOTER_KEY"
        default: return "ERROR(\(rawValue))"
        }
    }
}
