/// Everything that can happen to the console: keys, resizes, clock ticks, poll results, process
/// changes, and the answers to effects. The runtime feeds them to `Reducer.reduce` one at a time.
public enum AppEvent: Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// Wall-clock and monotonic seconds.
    case tick(wall: Double, monotonic: Double)
    case snapshot(ClusterSnapshot)
    case pollFailed(String)
    /// After a failed poll: how each known broker answered a bare connection attempt.
    case brokerProbes([Int32: BrokerProbe])
    /// The supervisor's process table (embedded mode).
    case processes([BrokerProcess])
    /// Something the supervisor saw happen to a process (killed, exited, restarted).
    case processEvent(ClusterEvent)
    case topicCreated(name: String, error: String?)
    case topicDeleted(name: String, error: String?)
    case produced(topic: String, partition: Int32, offset: Int64)
    case produceFailed(String)
    case tailMessages([TailMessage])
    /// The tailed topic does not exist: deleted while tailed, or not created yet. The tail waits.
    case tailTopicMissing(deleted: Bool)
    /// The tailed topic exists again, a new topic: the tail starts over at its beginning.
    case tailTopicRecreated
    /// The anchored tail delivered its window (``TailState/capacity`` messages from the seek point) and stopped.
    case tailWindowFull
    case tailFailed(String)
    /// An action (kill, restart, add, demo load) failed.
    case actionFailed(String)
    /// An action finished and has something to say.
    case actionDone(String)
    /// What keeps the demo load from working (it retries until it works again); nil: it works.
    case demoLoadStatus(String?)
    /// The brokers' progress while the console quits.
    case stopProgress([BrokerStop])
    /// A signal (SIGTERM, SIGHUP, SIGINT) asks the console to quit.
    case terminate(String)
}

/// What the reducer asks the runtime to do. Each has an answer event (or none).
public enum Effect: Equatable, Sendable {
    case quit
    case createTopic(TopicSpec)
    case deleteTopic(String)
    case produce(ProduceSpec)
    case killBroker(Int32)
    case restartBroker(Int32)
    case addBroker
    case startTail(TailTarget, TailPosition)
    case seekTail(TailPosition)
    case setTailPaused(Bool)
    case stopTail
    case setDemoLoad(Bool)
    case setRefreshInterval(Double)
    case applyTheme(String)
    case pollNow
}
