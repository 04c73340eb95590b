/// The core's settings. Time is counted in ticks: the driver calls `RaftNode.tick()` every tick
/// interval it chooses (say 50 ms) and converts Kafka's `quorum.*.ms` settings by dividing.
public struct RaftConfig: Sendable {
    /// This replica's id (`node.id`).
    public var nodeID: Int32
    /// The static voters (`controller.quorum.voters`). A node outside this set is an observer.
    public var voters: VoterSet
    /// `quorum.election.timeout.ms`: the base of the randomised election timeout `[T, 2T)`.
    public var electionTimeoutTicks: Int
    /// `quorum.election.backoff.max.ms`: the cap of the backoff after a lost election.
    public var electionBackoffMaxTicks: Int
    /// `quorum.fetch.timeout.ms`: a follower that has not fetched successfully for this long starts
    /// an election; the leader resigns after 1.5 times this without fetches from a majority.
    public var fetchTimeoutTicks: Int
    /// How long the leader parks a Fetch that has nothing new (the long poll, `MaxWaitMs`).
    public var fetchMaxWaitTicks: Int
    /// `quorum.request.timeout.ms`: a request unanswered for this long is sent again.
    public var requestTimeoutTicks: Int
    /// `quorum.retry.backoff.ms`: the pause before retrying after an error response.
    public var retryBackoffTicks: Int
    /// The most record bytes one Fetch response carries (at least one entry is always sent).
    public var maxFetchBytes: Int
    /// The most snapshot bytes one FetchSnapshot response carries.
    public var snapshotChunkBytes: Int
    /// The seed of the node's random generator (election timeouts, backoffs, correlation ids).
    /// Give each process start a different seed in production; the simulation derives it from
    /// its own seed.
    public var randomSeed: UInt64

    public init(
        nodeID: Int32,
        voters: VoterSet,
        electionTimeoutTicks: Int = 20,
        electionBackoffMaxTicks: Int = 20,
        fetchTimeoutTicks: Int = 40,
        fetchMaxWaitTicks: Int = 10,
        requestTimeoutTicks: Int = 40,
        retryBackoffTicks: Int = 1,
        maxFetchBytes: Int = 1 << 20,
        snapshotChunkBytes: Int = 1 << 20,
        randomSeed: UInt64
    ) {
        self.nodeID = nodeID
        self.voters = voters
        self.electionTimeoutTicks = electionTimeoutTicks
        self.electionBackoffMaxTicks = electionBackoffMaxTicks
        self.fetchTimeoutTicks = fetchTimeoutTicks
        self.fetchMaxWaitTicks = fetchMaxWaitTicks
        self.requestTimeoutTicks = requestTimeoutTicks
        self.retryBackoffTicks = retryBackoffTicks
        self.maxFetchBytes = maxFetchBytes
        self.snapshotChunkBytes = snapshotChunkBytes
        self.randomSeed = randomSeed
    }

    /// Whether this node votes (and may lead), or only observes.
    public var isVoter: Bool { voters.contains(nodeID) }

    /// The leader's check-quorum window: Kafka resigns after 1.5 fetch timeouts without fetches
    /// from a majority.
    var checkQuorumTicks: Int { fetchTimeoutTicks + fetchTimeoutTicks / 2 }

    func validate() throws(RaftError) {
        guard nodeID >= 0 else { throw RaftError(.invalidConfig, "node id \(nodeID) is negative") }
        let positive: [(String, Int)] = [
            ("electionTimeoutTicks", electionTimeoutTicks), ("electionBackoffMaxTicks", electionBackoffMaxTicks),
            ("fetchTimeoutTicks", fetchTimeoutTicks), ("fetchMaxWaitTicks", fetchMaxWaitTicks),
            ("requestTimeoutTicks", requestTimeoutTicks), ("retryBackoffTicks", retryBackoffTicks),
            ("maxFetchBytes", maxFetchBytes), ("snapshotChunkBytes", snapshotChunkBytes),
        ]
        for (name, value) in positive where value < 1 {
            throw RaftError(.invalidConfig, "\(name) must be at least 1, got \(value)")
        }
        guard fetchMaxWaitTicks < fetchTimeoutTicks else {
            throw RaftError(
                .invalidConfig,
                "fetchMaxWaitTicks (\(fetchMaxWaitTicks)) must be below fetchTimeoutTicks (\(fetchTimeoutTicks)), "
                    + "or a parked fetch would look like a dead leader"
            )
        }
    }
}
