import KafkaProtocol

/// JoinGroup: new members, rejoining members, static members coming back with a new member id.
extension Group {
    /// Handles a JoinGroup whose session timeout is valid.
    mutating func join(_ request: RequestID, _ input: JoinGroupInput, _ ctx: inout GroupContext) {
        if input.memberId.isEmpty {
            // A static member coming back takes its own place: it does not count against the size.
            let returning = input.groupInstanceId.map { staticMembers[$0] != nil } ?? false
            if members.count >= Int(ctx.config.maxGroupSize) && !returning {
                ctx.respond(request, .join(.failure(.groupMaxSizeReached, memberId: "")))
            } else {
                joinAsUnknownMember(request, input, &ctx)
            }
        } else {
            joinAsKnownMember(request, input, &ctx)
        }
        if state == .preparingRebalance {
            tryCompleteJoin(&ctx)
        }
    }

    private mutating func joinAsUnknownMember(_ request: RequestID, _ input: JoinGroupInput, _ ctx: inout GroupContext) {
        guard supportsProtocols(type: input.protocolType, protocols: input.protocols) else {
            ctx.respond(request, .join(.failure(.inconsistentGroupProtocol, memberId: "")))
            return
        }
        let newMemberId = (input.groupInstanceId ?? input.clientId) + "-" + input.memberIdSuffix
        if let instanceId = input.groupInstanceId, let oldMemberId = staticMembers[instanceId] {
            rejoinStaticMember(request, input, instanceId: instanceId, oldMemberId: oldMemberId,
                               newMemberId: newMemberId, &ctx)
        } else if input.requireKnownMemberId && input.groupInstanceId == nil {
            // KIP-394: the member must come back with this id, so that a client that never gets
            // the answer does not leave a ghost member behind.
            let deadline = ctx.now + Int64(input.sessionTimeoutMs)
            pendingMembers[newMemberId] = deadline
            ctx.schedule(.pendingMember(group: groupId, member: newMemberId), at: deadline)
            ctx.respond(request, .join(.failure(.memberIdRequired, memberId: newMemberId)))
        } else {
            addMemberAndRebalance(request, input, memberId: newMemberId, &ctx)
        }
    }

    private mutating func joinAsKnownMember(_ request: RequestID, _ input: JoinGroupInput, _ ctx: inout GroupContext) {
        let memberId = input.memberId
        guard supportsProtocols(type: input.protocolType, protocols: input.protocols) else {
            ctx.respond(request, .join(.failure(.inconsistentGroupProtocol, memberId: memberId)))
            return
        }
        if pendingMembers[memberId] != nil {
            addMemberAndRebalance(request, input, memberId: memberId, &ctx)
            return
        }
        if isStaticMemberFenced(memberId: memberId, groupInstanceId: input.groupInstanceId) {
            ctx.respond(request, .join(.failure(.fencedInstanceId, memberId: memberId)))
            return
        }
        let unknownInstance = input.groupInstanceId.map { staticMembers[$0] == nil } ?? false
        guard let member = members[memberId], !unknownInstance else {
            ctx.respond(request, .join(.failure(.unknownMemberId, memberId: memberId)))
            return
        }
        switch state {
        case .preparingRebalance:
            updateMemberAndRebalance(request, input, &ctx)
        case .completingRebalance:
            if member.matches(input.protocols) {
                // The member missed our JoinGroup answer: give it again.
                ctx.respond(request, .join(currentJoinResult(for: memberId, includeMembers: isLeader(memberId))))
            } else {
                updateMemberAndRebalance(request, input, &ctx)
            }
        case .stable:
            if isLeader(memberId) || !member.matches(input.protocols) {
                // A leader's JoinGroup asks for a new assignment (e.g. the topics changed).
                updateMemberAndRebalance(request, input, &ctx)
            } else {
                ctx.respond(request, .join(currentJoinResult(for: memberId, includeMembers: false)))
            }
        case .empty, .dead:
            ctx.respond(request, .join(.failure(.unknownMemberId, memberId: memberId)))
        }
    }

    /// The current generation as a successful JoinGroup answer.
    func currentJoinResult(for memberId: String, includeMembers: Bool, skipAssignment: Bool = false,
                           leaderId shownLeader: String? = nil) -> JoinGroupResult {
        JoinGroupResult(error: .noError, generationId: generationId, protocolType: protocolType,
                        protocolName: protocolName, leaderId: shownLeader ?? leaderId ?? "",
                        skipAssignment: skipAssignment, memberId: memberId,
                        members: includeMembers ? joinMembers() : [])
    }

    private mutating func addMemberAndRebalance(_ request: RequestID, _ input: JoinGroupInput, memberId: String,
                                                _ ctx: inout GroupContext) {
        let member = GroupMember(
            memberId: memberId, groupInstanceId: input.groupInstanceId, clientId: input.clientId,
            clientHost: input.clientHost, rebalanceTimeoutMs: input.rebalanceTimeoutMs,
            sessionTimeoutMs: input.sessionTimeoutMs, protocolType: input.protocolType, protocols: input.protocols,
            pendingJoin: .init(request: request, supportsSkipAssignment: input.supportsSkipAssignment), isNew: true)
        if state == .preparingRebalance && generationId == 0 {
            newMemberAdded = true
        }
        add(member)
        pendingMembers.removeValue(forKey: memberId)
        // A new member cannot heartbeat until its join completes; drop it if that takes too long.
        renewSession(memberId, timeoutMs: Int64(ctx.config.newMemberJoinTimeoutMs), &ctx)
        maybePrepareRebalance(&ctx)
    }

    private mutating func updateMemberAndRebalance(_ request: RequestID, _ input: JoinGroupInput,
                                                   _ ctx: inout GroupContext) {
        let memberId = input.memberId
        replacePendingJoin(of: memberId, with: request, supportsSkipAssignment: input.supportsSkipAssignment, &ctx)
        members[memberId]!.protocols = input.protocols
        members[memberId]!.rebalanceTimeoutMs = input.rebalanceTimeoutMs
        members[memberId]!.sessionTimeoutMs = input.sessionTimeoutMs
        maybePrepareRebalance(&ctx)
    }

    /// Sets a member's waiting JoinGroup; one it replaces (a retry) is answered at once.
    private mutating func replacePendingJoin(of memberId: String, with request: RequestID,
                                             supportsSkipAssignment: Bool, _ ctx: inout GroupContext) {
        if let previous = members[memberId]?.pendingJoin, previous.request != request {
            ctx.respond(previous.request, .join(.failure(.rebalanceInProgress, memberId: memberId)))
        }
        members[memberId]?.pendingJoin = .init(request: request, supportsSkipAssignment: supportsSkipAssignment)
    }

    /// A static member rejoins without its member id (its process restarted): it gets a new id and
    /// takes the old one's place; the old id is fenced. A stable group keeps its assignment when
    /// the selected protocol does not change (no rebalance: KIP-345).
    private mutating func rejoinStaticMember(_ request: RequestID, _ input: JoinGroupInput, instanceId: String,
                                             oldMemberId: String, newMemberId: String, _ ctx: inout GroupContext) {
        let previousLeader = leaderId
        if let old = members[oldMemberId] {
            if let join = old.pendingJoin {
                ctx.respond(join.request, .join(.failure(.fencedInstanceId, memberId: oldMemberId)))
            }
            if let sync = old.pendingSync {
                ctx.respond(sync, .sync(SyncGroupResult(error: .fencedInstanceId)))
            }
            members[oldMemberId]!.pendingJoin = nil
            members[oldMemberId]!.pendingSync = nil
        }
        replaceStaticMember(instanceId: instanceId, oldMemberId: oldMemberId, newMemberId: newMemberId)
        members[newMemberId]!.protocols = input.protocols
        members[newMemberId]!.rebalanceTimeoutMs = input.rebalanceTimeoutMs
        members[newMemberId]!.sessionTimeoutMs = input.sessionTimeoutMs
        members[newMemberId]!.pendingJoin = .init(request: request, supportsSkipAssignment: input.supportsSkipAssignment)
        members[newMemberId]!.timerDeadline = nil  // the old id's timer no longer applies
        renewSession(newMemberId, &ctx)

        switch state {
        case .stable:
            if selectProtocol() == protocolName {
                ctx.append([metadataRecord()], for: .staticRejoin(
                    group: groupId, incarnation: incarnation, generation: generationId, memberId: newMemberId,
                    request: request, previousLeader: previousLeader))
            } else {
                maybePrepareRebalance(&ctx)
            }
        case .completingRebalance:
            // The leader may be assigning to the old member id: start over.
            maybePrepareRebalance(&ctx)
        case .preparingRebalance, .empty, .dead:
            break
        }
    }

    /// The static member's new id is written: answer its JoinGroup. From v9 a returning leader
    /// learns it leads but must skip the assignment; before v9 it is shown the previous leader id
    /// so that it does not try to assign.
    mutating func completeStaticRejoin(memberId: String, request: RequestID, generation: Int32, previousLeader: String?,
                                       error: ErrorCode, _ ctx: inout GroupContext) {
        guard state == .stable, generationId == generation, let member = members[memberId],
              member.pendingJoin?.request == request
        else { return }  // a rebalance started meanwhile and will answer the JoinGroup
        members[memberId]!.pendingJoin = nil
        renewSession(memberId, &ctx)
        if error != .noError {
            ctx.respond(request, .join(.failure(error.forGroupMetadataWrite, memberId: "")))
            return
        }
        let result: JoinGroupResult
        if member.pendingJoin!.supportsSkipAssignment {
            let leads = isLeader(memberId)
            result = currentJoinResult(for: memberId, includeMembers: leads, skipAssignment: leads)
        } else {
            result = currentJoinResult(for: memberId, includeMembers: false, leaderId: previousLeader ?? "")
        }
        ctx.respond(request, .join(result))
    }
}
