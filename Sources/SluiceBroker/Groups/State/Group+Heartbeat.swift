import KafkaProtocol

/// Heartbeat and LeaveGroup.
extension Group {
    mutating func heartbeat(_ request: RequestID, _ input: HeartbeatInput, _ ctx: inout GroupContext) {
        let error: ErrorCode
        if isStaticMemberFenced(memberId: input.memberId, groupInstanceId: input.groupInstanceId) {
            error = .fencedInstanceId
        } else if !has(input.memberId) {
            error = .unknownMemberId
        } else if input.generationId != generationId {
            error = .illegalGeneration
        } else {
            switch state {
            case .empty:
                error = .unknownMemberId
            case .dead:
                error = .coordinatorNotAvailable
            case .completingRebalance, .stable:
                // Members may heartbeat between their JoinGroup and SyncGroup answers.
                renewSession(input.memberId, &ctx)
                error = .noError
            case .preparingRebalance:
                renewSession(input.memberId, &ctx)
                error = .rebalanceInProgress
            }
        }
        ctx.respond(request, .heartbeat(error))
    }

    mutating func leave(_ request: RequestID, _ input: LeaveGroupInput, _ ctx: inout GroupContext) {
        var results: [LeaveMemberResult] = []
        for leaving in input.members {
            let error: ErrorCode
            if leaving.memberId.isEmpty {
                // Administrative removal of a static member by its instance id (KIP-345).
                if let instanceId = leaving.groupInstanceId, let memberId = staticMembers[instanceId] {
                    removeMemberAndUpdateGroup(memberId, &ctx)
                    error = .noError
                } else {
                    error = .unknownMemberId
                }
            } else if pendingMembers.removeValue(forKey: leaving.memberId) != nil {
                tryCompleteJoin(&ctx)
                error = .noError
            } else if isStaticMemberFenced(memberId: leaving.memberId, groupInstanceId: leaving.groupInstanceId) {
                error = .fencedInstanceId
            } else if !has(leaving.memberId) {
                error = .unknownMemberId
            } else {
                removeMemberAndUpdateGroup(leaving.memberId, &ctx)
                error = .noError
            }
            results.append(LeaveMemberResult(memberId: leaving.memberId, groupInstanceId: leaving.groupInstanceId,
                                             error: error))
        }
        ctx.respond(request, .leave(LeaveGroupResult(error: .noError, members: results)))
    }
}
