import KafkaProtocol

/// Subscribing with KIP-848's consumer protocol: heartbeats tell the member its assignment, which
/// it reconciles incrementally — partitions that leave the assignment are committed (with
/// auto-commit) and given up first, the next heartbeat says so, new partitions start from the
/// group's committed offsets; the others keep being read throughout.
extension KafkaConsumer {
    func subscribeWithConsumerProtocol(_ coordinator: GroupCoordinator, topics: [String]) async throws {
        let membership = ConsumerProtocolMembership(coordinator: coordinator, configuration: configuration, topics: topics)
        // The first heartbeat joins; subscribe returns with what it was given (perhaps nothing
        // yet, while other members still hold the partitions).
        var attempts = 0
        while true {
            attempts += 1
            do {
                if case let .assignment(partitions) = try await membership.heartbeat(owned: []) {
                    try await reconcile(to: partitions, membership: membership)
                }
                if await membership.epoch > 0 { break }
            } catch let error as KafkaClientError where error.isRetriable && attempts < 10 {
                try await Task.sleep(for: client.configuration.retry.backoff(afterAttempt: attempts))
            }
            guard attempts < 10 else {
                throw KafkaClientError(.timeout, "could not join after \(attempts) heartbeats", resource: coordinator.resource)
            }
        }
        let task = Task { await self.coordinateConsumerProtocol(membership) }
        state.withLockedValue { $0.mode = .consumerGroup(membership, task) }
    }

    /// Heartbeats at the broker's interval (at once after a change, to acknowledge it) and
    /// auto-commits on its own schedule.
    private func coordinateConsumerProtocol(_ membership: ConsumerProtocolMembership) async {
        let clock = ContinuousClock()
        var nextCommit = clock.now + configuration.autoCommitInterval
        var nextHeartbeat = clock.now + (await membership.heartbeatInterval)
        var failures = 0
        while !Task.isCancelled {
            let wake = configuration.enableAutoCommit ? min(nextCommit, nextHeartbeat) : nextHeartbeat
            try? await Task.sleep(until: wake, clock: clock)
            if Task.isCancelled { return }
            if configuration.enableAutoCommit && clock.now >= nextCommit {
                try? await commit()
                nextCommit = clock.now + configuration.autoCommitInterval
            }
            guard clock.now >= nextHeartbeat else { continue }
            nextHeartbeat = clock.now + (await membership.heartbeatInterval)
            do {
                let owned = Set(assignment)
                switch try await membership.heartbeat(owned: owned) {
                case .unchanged:
                    break
                case let .assignment(partitions):
                    try await reconcile(to: partitions, membership: membership)
                    nextHeartbeat = clock.now  // acknowledge at once
                case .fenced:
                    // Its partitions may be someone else's already: drop them without committing.
                    apply([:])
                    nextHeartbeat = clock.now  // rejoin at once
                }
                failures = 0
            } catch is CancellationError {
                return
            } catch let error as KafkaClientError {
                failures += 1
                if !error.isRetriable || failures > 5 {
                    buffer.fail(error, generation: buffer.generation)
                }
                try? await Task.sleep(for: client.configuration.retry.backoff(afterAttempt: failures))
                nextHeartbeat = clock.now
            } catch {
                failures += 1
            }
        }
    }

    /// Moves to `target`: commits and gives up what leaves it, then starts what joins it from
    /// the committed offsets; the partitions kept go on from where `poll` got to.
    private func reconcile(to target: Set<TopicPartition>, membership: ConsumerProtocolMembership) async throws {
        let (owned, consumed) = state.withLockedValue { (Set($0.assignment), $0.consumed) }
        let revoked = owned.subtracting(target)
        if !revoked.isEmpty && configuration.enableAutoCommit {
            let positions = consumed.filter { revoked.contains($0.key) }
            if !positions.isEmpty { try? await commit(positions) }
        }
        var positions = consumed.filter { target.contains($0.key) }
        let added = target.subtracting(owned)
        if !added.isEmpty {
            let resolved = try await resolve(Dictionary(uniqueKeysWithValues: added.map { ($0, StartPosition.committed) }))
            positions.merge(resolved) { kept, _ in kept }
        }
        apply(positions)
    }

    /// Reads exactly these partitions from these positions (a partition already read goes on
    /// from where `poll` has got to by now: it may have moved on since `positions` was made).
    private func apply(_ positions: [TopicPartition: Int64]) {
        buffer.reset()
        let final = state.withLockedValue { s -> [TopicPartition: Int64] in
            var final = positions
            for tp in positions.keys { if let now = s.consumed[tp] { final[tp] = now } }
            s.assignment = Array(final.keys)
            s.consumed = final
            return final
        }
        fetcher.assign(final)
    }
}
