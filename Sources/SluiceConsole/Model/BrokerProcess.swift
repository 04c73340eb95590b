/// An embedded broker process as the supervisor sees it (RSS and CPU from /proc).
public struct BrokerProcess: Equatable, Sendable {
    public enum Status: Equatable, Sendable {
        case running
        /// It exited by itself with this status.
        case exited(Int32)
        /// It was killed by this signal (SIGKILL from `x`, or someone else's).
        case signaled(Int32)
        /// The console stopped it (quit).
        case stopped
        /// It could not be started at all.
        case failedToStart(String)
    }

    public var id: Int32
    public var pid: Int32?
    public var port: Int32
    public var status: Status
    /// Monotonic seconds when it was (re)started.
    public var startedAt: Double
    public var restarts: Int
    public var rssBytes: Int64?
    /// CPU use since the previous sample, in percent of one core.
    public var cpuPercent: Double?
    public var logPath: String
    /// The cluster metadata has listed it since its last start (so a later absence means fenced).
    public var seenUpSinceStart: Bool
    /// A restart is under way: it was asked to stop (SIGTERM) and starts again once it exited.
    public var restarting = false

    public init(
        id: Int32, pid: Int32?, port: Int32, status: Status, startedAt: Double, restarts: Int = 0,
        rssBytes: Int64? = nil, cpuPercent: Double? = nil, logPath: String, seenUpSinceStart: Bool = false
    ) {
        self.id = id
        self.pid = pid
        self.port = port
        self.status = status
        self.startedAt = startedAt
        self.restarts = restarts
        self.rssBytes = rssBytes
        self.cpuPercent = cpuPercent
        self.logPath = logPath
        self.seenUpSinceStart = seenUpSinceStart
    }

    public var isRunning: Bool { status == .running }
}

/// A broker's state as the Brokers view shows it.
public enum BrokerState: String, Sendable, Equatable {
    case up, down, starting, fenced
    /// Asked to stop for a restart (a controlled shutdown), not yet exited.
    case stopping
    /// Running (or listed) but did not answer the console's last request in time: hung, stopped, or
    /// behind a network black hole. The controller fences such a broker once its heartbeats lapse;
    /// it stays `slow`, since not answering is the reason.
    case slow

    /// Combines what the cluster says (`broker`, from the snapshot taken at `snapshotTime`) with what
    /// the process table says (`process`, embedded brokers only). A process that is not running is
    /// down whatever the last snapshot said; a running one is up once a snapshot taken after its start
    /// lists it, starting until then, and fenced if it was listed since its start and no longer is.
    /// A remote broker that refuses the console's connections is down, even while the metadata
    /// lists it (without a metadata quorum nobody removes it); one that left the metadata is fenced
    /// if it still answers, down otherwise. A broker that was listed and now accepts connections
    /// without answering is slow.
    public static func resolve(broker: BrokerSnapshot?, process: BrokerProcess?, snapshotTime: Double?) -> BrokerState {
        let registered = broker?.registered ?? false
        let slow = broker?.probe == .timedOut
        if let process {
            guard process.isRunning else { return .down }
            if process.restarting { return .stopping }
            if registered && (snapshotTime ?? -.infinity) >= process.startedAt { return slow ? .slow : .up }
            guard process.seenUpSinceStart else { return .starting }
            return slow ? .slow : .fenced
        }
        if slow { return .slow }
        if case .failed? = broker?.probe { return .down }
        if registered { return .up }
        return (broker?.probe?.isAnswered ?? false) ? .fenced : .down
    }
}
