import KafkaProtocol
import NIOCore

/// SyncGroup: the leader's assignment is written to the log, then handed to every member.
extension Group {
    mutating func sync(_ request: RequestID, _ input: SyncGroupInput, _ ctx: inout GroupContext) {
        let memberId = input.memberId
        if isStaticMemberFenced(memberId: memberId, groupInstanceId: input.groupInstanceId) {
            ctx.respond(request, .sync(SyncGroupResult(error: .fencedInstanceId)))
            return
        }
        guard has(memberId) else {
            ctx.respond(request, .sync(SyncGroupResult(error: .unknownMemberId)))
            return
        }
        guard input.generationId == generationId else {
            ctx.respond(request, .sync(SyncGroupResult(error: .illegalGeneration)))
            return
        }
        if let type = input.protocolType, type != protocolType {
            ctx.respond(request, .sync(SyncGroupResult(error: .inconsistentGroupProtocol)))
            return
        }
        if let name = input.protocolName, name != protocolName {
            ctx.respond(request, .sync(SyncGroupResult(error: .inconsistentGroupProtocol)))
            return
        }
        switch state {
        case .empty:
            ctx.respond(request, .sync(SyncGroupResult(error: .unknownMemberId)))
        case .preparingRebalance:
            ctx.respond(request, .sync(SyncGroupResult(error: .rebalanceInProgress)))
        case .dead:
            ctx.respond(request, .sync(SyncGroupResult(error: .coordinatorNotAvailable)))
        case .completingRebalance:
            if let previous = members[memberId]!.pendingSync {
                ctx.respond(previous, .sync(SyncGroupResult(error: .rebalanceInProgress)))
            }
            members[memberId]!.pendingSync = request
            pendingSyncMembers.remove(memberId)
            if isLeader(memberId) {
                // Members the leader left out get an empty assignment; unknown ids are ignored.
                var assignments: [String: ByteBuffer] = [:]
                for id in members.keys {
                    assignments[id] = input.assignments[id] ?? ByteBuffer()
                }
                ctx.append([metadataRecord(assignments: assignments)], for: .assignment(
                    group: groupId, incarnation: incarnation, generation: generationId, assignments: assignments))
            }
        case .stable:
            pendingSyncMembers.remove(memberId)
            ctx.respond(request, .sync(SyncGroupResult(
                error: .noError, protocolType: protocolType, protocolName: protocolName,
                assignment: members[memberId]!.assignment)))
            renewSession(memberId, &ctx)
        }
    }

    /// The leader's assignment for `generation` is in the log (or failed to get there).
    mutating func completeAssignment(generation: Int32, assignments: [String: ByteBuffer], error: ErrorCode,
                                     _ ctx: inout GroupContext) {
        guard state == .completingRebalance, generationId == generation else { return }
        if error != .noError {
            resetAndPropagateAssignmentError(error.forGroupMetadataWrite, &ctx)
            maybePrepareRebalance(&ctx)
            return
        }
        for memberId in members.keys {
            members[memberId]!.assignment = assignments[memberId] ?? ByteBuffer()
        }
        propagateAssignment(.noError, &ctx)
        transition(to: .stable, now: ctx.now)
    }

    mutating func resetAndPropagateAssignmentError(_ error: ErrorCode, _ ctx: inout GroupContext) {
        for memberId in members.keys {
            members[memberId]!.assignment = ByteBuffer()
        }
        propagateAssignment(error, &ctx)
    }

    /// Answers every waiting SyncGroup, and restarts those members' sessions (they could not
    /// heartbeat while waiting).
    private mutating func propagateAssignment(_ error: ErrorCode, _ ctx: inout GroupContext) {
        for memberId in members.keys {
            guard let request = members[memberId]!.pendingSync else { continue }
            let result = error == .noError
                ? SyncGroupResult(error: .noError, protocolType: protocolType, protocolName: protocolName,
                                  assignment: members[memberId]!.assignment)
                : SyncGroupResult(error: error)
            ctx.respond(request, .sync(result))
            members[memberId]!.pendingSync = nil
            renewSession(memberId, &ctx)
        }
    }

    /// The sync timer fired: members of the generation that never sent SyncGroup are removed.
    mutating func syncTimerFired(_ ctx: inout GroupContext) {
        guard let deadline = syncDeadline, state == .completingRebalance || state == .stable else { return }
        if ctx.now < deadline {
            ctx.schedule(.sync(group: groupId), at: deadline)
            return
        }
        syncDeadline = nil
        guard !pendingSyncMembers.isEmpty else { return }
        for memberId in pendingSyncMembers {
            if let join = members[memberId]?.pendingJoin {
                ctx.respond(join.request, .join(.failure(.unknownMemberId, memberId: "")))
            }
            remove(memberId)
        }
        prepareRebalance(&ctx)
    }
}
