// The follower's (and observer's) side of replication: fetching, truncating a divergent tail,
// downloading and installing snapshots.

extension RaftNode {
    /// Called after every input: keeps exactly one Fetch (or FetchSnapshot) in flight to the
    /// leader, and lets an observer without a leader ask a random voter.
    mutating func driveFetching() {
        switch state {
        case .follower(var follower):
            guard now >= follower.nextFetchAt else { return }
            // A Fetch may sit parked at the leader for up to the max wait before it is answered.
            let timeout = config.fetchMaxWaitTicks + config.requestTimeoutTicks
            if var download {
                guard hasTimedOut(download.inflight, after: config.requestTimeoutTicks) else { return }
                let request = RaftMessage.FetchSnapshotRequest(
                    replicaID: config.nodeID, currentLeaderEpoch: quorum.epoch, snapshotID: download.id,
                    position: Int64(download.bytes.count), maxBytes: Int32(clamping: config.snapshotChunkBytes)
                )
                download.inflight = sendRequest(to: follower.leaderID, .fetchSnapshotRequest(request))
                self.download = download
                return
            }
            guard hasTimedOut(follower.inflight, after: timeout) else { return }
            follower.inflight = sendRequest(to: follower.leaderID, .fetchRequest(makeFetchRequest()))
            follower.inflightPosition = log.lastOffsetAndEpoch
            state = .follower(follower)
        case .unattached(var unattached) where !config.isVoter:
            guard hasTimedOut(unattached.discovery, after: config.requestTimeoutTicks) else { return }
            let voter = voters.ids[random.below(voters.count)]
            unattached.discovery = sendRequest(to: voter, .fetchRequest(makeFetchRequest()))
            unattached.discoveryPosition = log.lastOffsetAndEpoch
            state = .unattached(unattached)
        default:
            return
        }
    }

    func makeFetchRequest() -> RaftMessage.FetchRequest {
        RaftMessage.FetchRequest(
            replicaID: config.nodeID, currentLeaderEpoch: quorum.epoch, fetchOffset: log.endOffset,
            lastFetchedEpoch: log.lastEpoch, logStartOffset: log.startOffset,
            maxWaitTicks: Int32(clamping: config.fetchMaxWaitTicks), maxBytes: Int32(clamping: config.maxFetchBytes)
        )
    }

    mutating func handleFetchResponse(from: Int32, correlationID: Int32, _ response: RaftMessage.FetchResponse) {
        // Only the answer to the one outstanding Fetch counts; duplicates and stale answers don't.
        let position: OffsetAndEpoch?
        switch state {
        case .follower(var follower):
            guard let inflight = follower.inflight, inflight.correlationID == correlationID, inflight.destination == from
            else { return }
            position = follower.inflightPosition
            follower.inflight = nil
            follower.inflightPosition = nil
            state = .follower(follower)
        case .unattached(var unattached):
            guard let inflight = unattached.discovery, inflight.correlationID == correlationID, inflight.destination == from
            else { return }
            position = unattached.discoveryPosition
            unattached.discovery = nil
            state = .unattached(unattached)
        default:
            return
        }

        observeLeader(epoch: response.currentLeader.epoch, leaderID: response.currentLeader.leaderID)
        guard case .follower(var follower) = state, follower.leaderID == from,
            quorum.epoch == response.currentLeader.epoch
        else { return }
        if response.errorCode != .none {
            follower.nextFetchAt = now + Int64(config.retryBackoffTicks)
            state = .follower(follower)
            return
        }
        // The leader validated the position the request was sent from; if the log has moved since
        // (a snapshot was installed meanwhile), the answer no longer applies.
        guard position == log.lastOffsetAndEpoch else { return }

        if let diverging = response.divergingEpoch {
            truncateDivergentTail(diverging)
        } else if let snapshotID = response.snapshotID {
            if snapshotID.offset > log.startOffset && snapshotID.offset > 0 {
                download = SnapshotDownload(id: snapshotID, epoch: quorum.epoch)
            } else {
                recordViolation("leader \(from) offered snapshot \(snapshotID), not newer than the log start \(log.startOffset)")
            }
        } else {
            appendFromLeader(response.entries, leader: from)
            if let leaderHighWatermark = response.highWatermark {
                // Everything below our end offset matches the leader's log now, so the part of the
                // leader's high watermark we hold is committed here too.
                let newHighWatermark = min(leaderHighWatermark, log.endOffset)
                if newHighWatermark > highWatermark { highWatermark = newHighWatermark }
            }
        }
        guard case .follower(var current) = state else { return }
        current.hasFetchedFromLeader = true
        current.fetchDeadline = now + Int64(config.fetchTimeoutTicks)
        state = .follower(current)
    }

    /// Appends the leader's entries after checking that they continue our log in order.
    mutating func appendFromLeader(_ entries: [LogEntry], leader: Int32) {
        for entry in entries {
            guard entry.offset == log.endOffset, entry.epoch >= log.lastEpoch, entry.epoch <= quorum.epoch else {
                recordViolation("leader \(leader) sent \(entry) after \(log.lastOffsetAndEpoch) in epoch \(quorum.epoch)")
                return
            }
            appendLocal(entry)
        }
    }

    /// The leader reports our log diverges: drop our records it does not have.
    mutating func truncateDivergentTail(_ diverging: OffsetAndEpoch) {
        let offset = log.truncationOffset(for: diverging)
        guard offset >= highWatermark, offset >= log.startOffset else {
            recordViolation("truncation to \(offset) requested below the high watermark \(highWatermark)")
            return
        }
        guard offset < log.endOffset else {
            recordViolation("diverging epoch \(diverging) does not shorten the log ending at \(log.lastOffsetAndEpoch)")
            return
        }
        truncateLocal(from: offset)
    }

    mutating func handleFetchSnapshotResponse(
        from: Int32, correlationID: Int32, _ response: RaftMessage.FetchSnapshotResponse
    ) {
        guard var download, let inflight = download.inflight, inflight.correlationID == correlationID,
            inflight.destination == from
        else { return }
        download.inflight = nil
        self.download = download

        observeLeader(epoch: response.currentLeader.epoch, leaderID: response.currentLeader.leaderID)
        guard case .follower(var follower) = state, follower.leaderID == from, quorum.epoch == download.epoch,
            self.download != nil
        else { return }
        switch response.errorCode {
        case .none:
            break
        case .snapshotNotFound, .positionOutOfRange:
            // The leader moved on to a newer snapshot: start over from a Fetch.
            self.download = nil
            return
        default:
            follower.nextFetchAt = now + Int64(config.retryBackoffTicks)
            state = .follower(follower)
            return
        }
        let position = Int64(download.bytes.count)
        let end = response.position + Int64(response.bytes.count)
        guard response.snapshotID == download.id, response.position == position, response.size >= 0,
            download.size == nil || download.size == response.size, end <= response.size,
            !response.bytes.isEmpty || end == response.size
        else {
            recordViolation("leader \(from) sent an inconsistent chunk of \(download.id) at \(response.position)")
            self.download = nil
            return
        }
        download.bytes.append(contentsOf: response.bytes)
        download.size = response.size
        follower.hasFetchedFromLeader = true
        follower.fetchDeadline = now + Int64(config.fetchTimeoutTicks)
        state = .follower(follower)
        if Int64(download.bytes.count) == response.size {
            self.download = nil
            installSnapshot(RaftSnapshot(id: download.id, data: download.bytes))
        } else {
            self.download = download
        }
    }

    /// Replaces the log's prefix (or all of it) with a snapshot fetched from the leader.
    mutating func installSnapshot(_ snapshot: RaftSnapshot) {
        let id = snapshot.id
        guard id.offset > log.startOffset else { return }
        if log.entry(at: id.offset - 1)?.epoch == id.epoch {
            // Our log continues the snapshot: keep the entries after it.
            log.compact(through: id)
        } else {
            dirtyFrom = min(dirtyFrom ?? log.startOffset, log.startOffset)
            log.reset(to: id)
        }
        pendingLogStart = id.offset
        self.snapshot = snapshot
        snapshotToPersist = snapshot
        if appliedOffset < id.offset {
            snapshotToRestore = snapshot
            appliedOffset = id.offset
        }
        if highWatermark < id.offset {
            highWatermark = id.offset
        }
    }
}
