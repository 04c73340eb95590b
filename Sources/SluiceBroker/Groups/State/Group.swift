import Collections
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// A classic consumer group: its members, generation, selected protocol and committed offsets.
///
/// Invariants:
/// - `leaderId` names a member whenever there are members;
/// - `staticMembers` maps each static member's instance id to its member id, and nothing else;
/// - in `.empty` there are no members; in `.completingRebalance` and `.stable`,
///   `protocolName` is set.
struct Group: Sendable {
    let groupId: String
    /// Tells a re-created group from an earlier one of the same id that was deleted, so that an
    /// offset commit written for the earlier one is not applied to the new one.
    let incarnation: UInt64

    var state: GroupState = .empty
    /// When the group entered its current state (ms).
    var stateTimestamp: Int64
    var generationId: Int32 = 0
    /// Set by the first member (`consumer` for consumers); nil for groups that only store offsets.
    var protocolType: String?
    var protocolName: String?
    var leaderId: String?
    /// In join order (Kafka's insertion order decides the fallback leader).
    var members: OrderedDictionary<String, GroupMember> = [:]
    /// Instance id → member id.
    var staticMembers: [String: String] = [:]
    /// Members told MEMBER_ID_REQUIRED, with the deadline for their second JoinGroup.
    var pendingMembers: [String: Int64] = [:]

    /// The current rebalance's join phase (state `.preparingRebalance`).
    var joinPhase: JoinPhase?
    /// Set while the first rebalance of an empty group waits: another member joined during the delay.
    var newMemberAdded = false

    /// Members of the current generation that have not sent SyncGroup yet, and when they must have.
    var pendingSyncMembers: Set<String> = []
    var syncDeadline: Int64?

    var offsets: [TopicPartition: OffsetCommitValue] = [:]
    /// Partitions with a commit being written, and how many.
    var pendingCommits: [TopicPartition: Int] = [:]

    enum JoinPhase: Sendable, Equatable {
        /// The first rebalance of an empty group: waits `initialRebalanceDelayMs`, extended while
        /// members keep arriving, for at most `remainingMs` more.
        case initialDelay(deadline: Int64, remainingMs: Int64)
        /// Waits until every member rejoined, or the deadline.
        case rebalance(deadline: Int64)

        var deadline: Int64 {
            switch self {
            case let .initialDelay(deadline, _), let .rebalance(deadline): return deadline
            }
        }
    }

    init(groupId: String, incarnation: UInt64, now: Int64) {
        self.groupId = groupId
        self.incarnation = incarnation
        self.stateTimestamp = now
    }

    // MARK: Queries

    func has(_ memberId: String) -> Bool { members[memberId] != nil }

    func isLeader(_ memberId: String) -> Bool { leaderId == memberId }

    /// A request names a static instance whose current member id is a different one: the
    /// request comes from an older incarnation of that instance.
    func isStaticMemberFenced(memberId: String, groupInstanceId: String?) -> Bool {
        guard let instanceId = groupInstanceId, let current = staticMembers[instanceId] else { return false }
        return current != memberId
    }

    /// The longest rebalance timeout of the members: how long a rebalance waits for rejoins.
    var rebalanceTimeoutMs: Int64 {
        Int64(members.values.map(\.rebalanceTimeoutMs).max() ?? 0)
    }

    /// Protocols every member supports.
    var candidateProtocols: Set<String> {
        var result: Set<String>?
        for member in members.values {
            let names = Set(member.protocols.map(\.name))
            result = result.map { $0.intersection(names) } ?? names
        }
        return result ?? []
    }

    /// Whether a member with this protocol type and these protocols may join: an empty group takes
    /// any non-empty offer; otherwise the type must match and one protocol must be supported by
    /// every current member.
    func supportsProtocols(type: String, protocols: [GroupProtocol]) -> Bool {
        if state == .empty {
            return !type.isEmpty && !protocols.isEmpty
        }
        let candidates = candidateProtocols
        return protocolType == type && protocols.contains(where: { candidates.contains($0.name) })
    }

    /// The protocol every member supports that most members prefer; ties go to the earlier
    /// member's preference.
    func selectProtocol() -> String? {
        let candidates = candidateProtocols
        var votes: [String: Int] = [:]
        var firstVoteOrder: [String] = []
        for member in members.values {
            guard let choice = member.protocols.first(where: { candidates.contains($0.name) })?.name else { continue }
            if votes[choice] == nil { firstVoteOrder.append(choice) }
            votes[choice, default: 0] += 1
        }
        var best: String?
        for name in firstVoteOrder where best == nil || votes[name]! > votes[best!]! {
            best = name
        }
        return best
    }

    /// Every member has rejoined (and no member told MEMBER_ID_REQUIRED is still expected).
    var hasAllMembersJoined: Bool {
        pendingMembers.isEmpty && members.values.allSatisfy { $0.pendingJoin != nil }
    }

    /// The members for the leader's JoinGroup response: each with its metadata for the selected
    /// protocol.
    func joinMembers() -> [JoinGroupMemberInfo] {
        guard let protocolName else { return [] }
        return members.values.map {
            JoinGroupMemberInfo(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId,
                                metadata: $0.metadata(for: protocolName) ?? ByteBuffer())
        }
    }

    /// The topics the members subscribe to, when the group uses the consumer protocol and every
    /// subscription parses; nil when unknown (then the group counts as subscribed to everything).
    func subscribedTopics() -> Set<String>? {
        guard protocolType == "consumer", let protocolName else { return nil }
        var topics: Set<String> = []
        for member in members.values {
            guard var bytes = member.metadata(for: protocolName), let version = bytes.readInteger(as: Int16.self),
                  version >= 0
            else { return nil }
            var reader = WireReader(bytes)
            guard let subscription = try? ConsumerProtocolSubscription(from: &reader, version: min(version, 3)) else {
                return nil
            }
            topics.formUnion(subscription.topics)
        }
        return topics
    }

    /// The group's metadata record as Kafka writes it (with the given assignments, or the
    /// members' current ones).
    func metadataRecord(assignments: [String: ByteBuffer]? = nil) -> CoordinatorRecord {
        let value = GroupMetadataValue(
            protocolType: protocolType ?? "",
            generation: generationId,
            protocolName: protocolName,
            leader: leaderId,
            currentStateTimestamp: stateTimestamp,
            members: members.values.map { m in
                GroupMetadataValue.Member(
                    memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId,
                    clientHost: m.clientHost, rebalanceTimeoutMs: m.rebalanceTimeoutMs,
                    sessionTimeoutMs: m.sessionTimeoutMs,
                    subscription: protocolName.flatMap { m.metadata(for: $0) } ?? ByteBuffer(),
                    assignment: assignments?[m.memberId] ?? m.assignment)
            })
        return .groupMetadata(GroupMetadataKey(group: groupId), value)
    }

    // MARK: Membership changes

    mutating func transition(to newState: GroupState, now: Int64) {
        state = newState
        stateTimestamp = now
    }

    /// Adds a member; the first member sets the protocol type and becomes the leader.
    mutating func add(_ member: GroupMember) {
        if members.isEmpty { protocolType = member.protocolType }
        if leaderId == nil { leaderId = member.memberId }
        members[member.memberId] = member
        if let instanceId = member.groupInstanceId { staticMembers[instanceId] = member.memberId }
    }

    /// Removes a member; the leadership passes to the first remaining member.
    mutating func remove(_ memberId: String) {
        guard let member = members.removeValue(forKey: memberId) else { return }
        if let instanceId = member.groupInstanceId, staticMembers[instanceId] == memberId {
            staticMembers.removeValue(forKey: instanceId)
        }
        if leaderId == memberId { leaderId = members.keys.first }
        pendingSyncMembers.remove(memberId)
    }

    /// Gives a static member a new member id (its instance restarted), keeping its place, its
    /// leadership and its assignment.
    mutating func replaceStaticMember(instanceId: String, oldMemberId: String, newMemberId: String) {
        guard var member = members[oldMemberId], let index = members.index(forKey: oldMemberId) else { return }
        member.memberId = newMemberId
        members.remove(at: index)
        members.updateValue(member, forKey: newMemberId, insertingAt: index)
        staticMembers[instanceId] = newMemberId
        if leaderId == oldMemberId { leaderId = newMemberId }
        if pendingSyncMembers.remove(oldMemberId) != nil { pendingSyncMembers.insert(newMemberId) }
    }

    /// If the leader has not rejoined, hands leadership to a member that has. False when no member
    /// has rejoined (or there is no leader).
    mutating func electJoinedLeader() -> Bool {
        guard let leader = leaderId else { return false }
        if members[leader]?.pendingJoin != nil { return true }
        guard let joined = members.values.first(where: { $0.pendingJoin != nil }) else { return false }
        leaderId = joined.memberId
        return true
    }
}
