import SluiceRaft
import Testing

/// Drives one `RaftNode` by hand: the test plays the peers.
struct NodeHarness {
    var node: RaftNode
    /// Every Ready drained so far, oldest first.
    var readies: [RaftReady] = []
    var store = MemoryRaftStore()

    init(id: Int32, voters: [Int32], persisted: RaftPersistedState = .empty, seed: UInt64 = 1, snapshotChunkBytes: Int = 1 << 20) throws {
        let config = RaftConfig(
            nodeID: id, voters: try VoterSet(voters), electionTimeoutTicks: 10, electionBackoffMaxTicks: 10,
            fetchTimeoutTicks: 20, fetchMaxWaitTicks: 5, requestTimeoutTicks: 5, snapshotChunkBytes: snapshotChunkBytes,
            randomSeed: seed
        )
        // The store starts out holding what the node is started from.
        try store.persist(
            RaftPersistence(
                quorumState: persisted.quorumState, snapshot: persisted.snapshot,
                logStartOffset: persisted.logStartOffset, entries: persisted.entries
            )
        )
        node = try RaftNode(config: config, persisted: persisted)
        _ = try drain()
    }

    /// Runs the driver loop (persist, "send", advance) and returns the messages sent.
    @discardableResult
    mutating func drain() throws -> [RaftEnvelope] {
        var sent: [RaftEnvelope] = []
        while node.hasReady {
            let ready = node.ready()
            try store.persist(ready.persistence)
            sent += ready.messages
            readies.append(ready)
            node.advance(ready)
        }
        return sent
    }

    /// Delivers a message from `from` and returns what the node sends back.
    @discardableResult
    mutating func deliver(from: Int32, correlationID: Int32 = 1, _ message: RaftMessage) throws -> [RaftEnvelope] {
        node.step(RaftEnvelope(source: from, destination: node.config.nodeID, correlationID: correlationID, message: message))
        return try drain()
    }

    /// Ticks `count` times and returns everything sent meanwhile.
    @discardableResult
    mutating func tick(_ count: Int = 1) throws -> [RaftEnvelope] {
        var sent: [RaftEnvelope] = []
        for _ in 0..<count {
            node.tick()
            sent += try drain()
        }
        return sent
    }

    /// Answers `request` (a request envelope this node sent) with `response`.
    @discardableResult
    mutating func answer(_ request: RaftEnvelope, with response: RaftMessage) throws -> [RaftEnvelope] {
        try deliver(from: request.destination, correlationID: request.correlationID, response)
    }
}

extension Array where Element == RaftEnvelope {
    func fetches(to destination: Int32? = nil) -> [(RaftEnvelope, RaftMessage.FetchRequest)] {
        compactMap { envelope in
            guard case .fetchRequest(let request) = envelope.message, destination.map({ $0 == envelope.destination }) ?? true
            else { return nil }
            return (envelope, request)
        }
    }

    func voteRequests() -> [(RaftEnvelope, RaftMessage.VoteRequest)] {
        compactMap { envelope in
            guard case .voteRequest(let request) = envelope.message else { return nil }
            return (envelope, request)
        }
    }

    func voteResponses() -> [RaftMessage.VoteResponse] {
        compactMap { envelope in
            guard case .voteResponse(let response) = envelope.message else { return nil }
            return response
        }
    }
}

func data(_ offset: Int64, _ epoch: Int32, _ byte: UInt8 = 0) -> LogEntry {
    LogEntry(offset: offset, epoch: epoch, payload: .data([byte]))
}
