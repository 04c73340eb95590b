import KafkaProtocol

/// Rebalances and sessions: starting a rebalance, completing its join phase, expiring members.
extension Group {
    /// Starts a rebalance unless one is already waiting for joins.
    mutating func maybePrepareRebalance(_ ctx: inout GroupContext) {
        switch state {
        case .stable, .completingRebalance, .empty:
            prepareRebalance(&ctx)
        case .preparingRebalance, .dead:
            break
        }
    }

    mutating func prepareRebalance(_ ctx: inout GroupContext) {
        if state == .completingRebalance {
            resetAndPropagateAssignmentError(.rebalanceInProgress, &ctx)
        }
        pendingSyncMembers = []
        syncDeadline = nil
        if state == .empty {
            let delay = Int64(ctx.config.initialRebalanceDelayMs)
            joinPhase = .initialDelay(deadline: ctx.now + delay, remainingMs: max(rebalanceTimeoutMs - delay, 0))
            newMemberAdded = false
        } else {
            joinPhase = .rebalance(deadline: ctx.now + rebalanceTimeoutMs)
        }
        transition(to: .preparingRebalance, now: ctx.now)
        ctx.schedule(.join(group: groupId), at: joinPhase!.deadline)
        tryCompleteJoin(&ctx)
    }

    /// Ends the join phase early once every member has rejoined (never during the initial delay).
    mutating func tryCompleteJoin(_ ctx: inout GroupContext) {
        guard state == .preparingRebalance, case .rebalance = joinPhase, hasAllMembersJoined else { return }
        completeJoin(&ctx)
    }

    /// The join timer fired.
    mutating func joinTimerFired(_ ctx: inout GroupContext) {
        guard state == .preparingRebalance, let phase = joinPhase else { return }
        if ctx.now < phase.deadline {
            ctx.schedule(.join(group: groupId), at: phase.deadline)
            return
        }
        if case let .initialDelay(_, remaining) = phase, newMemberAdded, remaining > 0 {
            // Members are still arriving: wait another delay, within the rebalance timeout.
            newMemberAdded = false
            let delay = min(Int64(ctx.config.initialRebalanceDelayMs), remaining)
            joinPhase = .initialDelay(deadline: ctx.now + delay, remainingMs: remaining - delay)
            ctx.schedule(.join(group: groupId), at: ctx.now + delay)
            return
        }
        completeJoin(&ctx)
    }

    /// Ends the join phase: members that did not rejoin leave (static ones stay), a new
    /// generation starts with the protocol the members prefer, and every JoinGroup is answered
    /// (the leader gets the members' metadata to compute the assignment).
    mutating func completeJoin(_ ctx: inout GroupContext) {
        for member in members.values where member.pendingJoin == nil && !member.isStatic {
            remove(member.memberId)
        }
        if !electJoinedLeader() && !members.isEmpty {
            // Only static members that have not rejoined remain: wait for them (or their expiry).
            joinPhase = .rebalance(deadline: ctx.now + rebalanceTimeoutMs)
            ctx.schedule(.join(group: groupId), at: joinPhase!.deadline)
            return
        }
        generationId += 1
        joinPhase = nil
        if members.isEmpty {
            protocolName = nil
            transition(to: .empty, now: ctx.now)
            ctx.append([metadataRecord()], for: .groupMetadata)
            return
        }
        protocolName = selectProtocol() ?? members.values.first?.protocols.first?.name
        transition(to: .completingRebalance, now: ctx.now)
        let everyone = joinMembers()
        for memberId in members.keys {
            let member = members[memberId]!
            if let join = member.pendingJoin {
                var result = currentJoinResult(for: memberId, includeMembers: false)
                if isLeader(memberId) { result.members = everyone }
                ctx.respond(join.request, .join(result))
            }
            members[memberId]!.pendingJoin = nil
            members[memberId]!.isNew = false
            renewSession(memberId, &ctx)
        }
        pendingSyncMembers = Set(members.keys)
        syncDeadline = ctx.now + rebalanceTimeoutMs
        ctx.schedule(.sync(group: groupId), at: syncDeadline!)
    }

    // MARK: Sessions

    /// Pushes a member's session deadline to now + its session timeout (or `timeoutMs`), making
    /// sure a timer fires no later than the deadline.
    mutating func renewSession(_ memberId: String, timeoutMs: Int64? = nil, _ ctx: inout GroupContext) {
        guard var member = members[memberId] else { return }
        member.sessionDeadline = ctx.now + (timeoutMs ?? Int64(member.sessionTimeoutMs))
        if member.timerDeadline.map({ $0 > member.sessionDeadline }) ?? true {
            member.timerDeadline = member.sessionDeadline
            ctx.schedule(.session(group: groupId, member: memberId), at: member.sessionDeadline)
        }
        members[memberId] = member
    }

    /// A member's session timer fired: remove the member if its session really ran out.
    mutating func sessionTimerFired(memberId: String, _ ctx: inout GroupContext) {
        guard var member = members[memberId] else { return }
        member.timerDeadline = nil
        if ctx.now < member.sessionDeadline {
            member.timerDeadline = member.sessionDeadline
            ctx.schedule(.session(group: groupId, member: memberId), at: member.sessionDeadline)
            members[memberId] = member
            return
        }
        members[memberId] = member
        if member.shouldExpire(now: ctx.now) {
            removeMemberAndUpdateGroup(memberId, &ctx)
        }
    }

    /// A member told MEMBER_ID_REQUIRED did not come back in time.
    mutating func pendingMemberTimerFired(memberId: String, _ ctx: inout GroupContext) {
        guard let deadline = pendingMembers[memberId], ctx.now >= deadline else { return }
        pendingMembers.removeValue(forKey: memberId)
        tryCompleteJoin(&ctx)
    }

    /// Removes a member (left, expired) and rebalances the others.
    mutating func removeMemberAndUpdateGroup(_ memberId: String, _ ctx: inout GroupContext) {
        guard let member = members[memberId] else { return }
        if let join = member.pendingJoin {
            // A new member timed out while waiting: it may retry with a fresh JoinGroup.
            ctx.respond(join.request, .join(.failure(.unknownMemberId, memberId: "")))
        }
        if let sync = member.pendingSync {
            ctx.respond(sync, .sync(SyncGroupResult(error: .unknownMemberId)))
        }
        remove(memberId)
        switch state {
        case .stable, .completingRebalance:
            maybePrepareRebalance(&ctx)
        case .preparingRebalance:
            tryCompleteJoin(&ctx)
        case .empty, .dead:
            break
        }
    }

    /// Answers every waiting request of the group with `error` (the partition moved away).
    mutating func failPendingRequests(_ error: ErrorCode, _ ctx: inout GroupContext) {
        for memberId in members.keys {
            if let join = members[memberId]!.pendingJoin {
                ctx.respond(join.request, .join(.failure(error, memberId: memberId)))
            }
            if let sync = members[memberId]!.pendingSync {
                ctx.respond(sync, .sync(SyncGroupResult(error: error)))
            }
            members[memberId]!.pendingJoin = nil
            members[memberId]!.pendingSync = nil
        }
    }
}
