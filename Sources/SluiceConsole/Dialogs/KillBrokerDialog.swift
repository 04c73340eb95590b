/// The `x` confirmation: killing a broker with SIGKILL, saying how many partition leaders will
/// move, and what happens to the metadata quorum. Only `y` confirms; every other key (Enter
/// included) cancels.
public struct KillBrokerDialog: Equatable, Sendable {
    /// What the kill does to the metadata quorum.
    public enum QuorumEffect: Equatable, Sendable {
        /// Not a voter, or no voters known.
        case none
        /// A voter; a majority stays up (`left` of `voters`).
        case keeps(left: Int, voters: Int)
        /// A voter, and too few would stay up: `left` of `voters`, fewer than `majority`.
        case loses(left: Int, voters: Int, majority: Int)
        /// The quorum is lost already.
        case alreadyLost

        /// No quorum after the kill: nobody elects new leaders.
        public var leavesNoQuorum: Bool {
            switch self {
            case .loses, .alreadyLost: true
            case .none, .keeps: false
            }
        }
    }

    public var broker: Int32
    /// Partitions the broker leads now: their leadership moves (or they go offline without another ISR member).
    public var leadersToMove: Int
    /// Of those, the partitions with no other in-sync replica: they go offline.
    public var wouldGoOffline: Int
    public var isController: Bool
    /// Other brokers are up (so a controller can be elected among them).
    public var othersUp: Bool
    public var quorum: QuorumEffect

    public init(broker: Int32, leadersToMove: Int, wouldGoOffline: Int, isController: Bool, othersUp: Bool,
                quorum: QuorumEffect = .none) {
        self.broker = broker
        self.leadersToMove = leadersToMove
        self.wouldGoOffline = wouldGoOffline
        self.isController = isController
        self.othersUp = othersUp
        self.quorum = quorum
    }

    /// The dialog for `broker` as the console sees the cluster now (brokers known to be down are
    /// neither leaders, in-sync replicas nor voters that count).
    public static func make(broker: Int32, state: AppState) -> KillBrokerDialog {
        let down = state.downBrokers
        let led = (state.snapshot?.partitions ?? []).filter { $0.leader == broker }
        let stranded = led.filter { p in !p.isr.contains { $0 != broker && !down.contains($0) } }.count
        let others = state.brokerIDs.contains { $0 != broker && !down.contains($0) && state.brokerState($0) != .starting }
        let quorum = quorumEffect(stopping: broker, state: state)
        // Without a quorum after the kill (or before it), nobody elects new leaders: every
        // partition the broker leads goes offline.
        if quorum.leavesNoQuorum {
            return KillBrokerDialog(broker: broker, leadersToMove: 0, wouldGoOffline: led.count,
                                    isController: state.activeControllerID == broker, othersUp: others, quorum: quorum)
        }
        return KillBrokerDialog(broker: broker, leadersToMove: led.count - stranded, wouldGoOffline: stranded,
                                isController: state.activeControllerID == broker, othersUp: others, quorum: quorum)
    }

    /// What stopping `broker` (killed, or restarted) does to the metadata quorum.
    public static func quorumEffect(stopping broker: Int32, state: AppState) -> QuorumEffect {
        let voters = state.voterIDs, down = state.downBrokers
        if state.quorumLossReason != nil { return .alreadyLost }
        guard voters.contains(broker) else { return .none }
        let left = voters.filter { $0 != broker && !down.contains($0) }.count
        let majority = voters.count / 2 + 1
        return left < majority ? .loses(left: left, voters: voters.count, majority: majority) : .keeps(left: left, voters: voters.count)
    }

    public func lines(width: Int) -> [[Span]] {
        var out: [[Span]] = [
            [Span("Kill broker \(broker) with SIGKILL (a real crash)?", .dialog)],
            [],
            [Span("Partition leaders that will move: ", .dialog), Span("\(leadersToMove)", .warn)],
        ]
        if wouldGoOffline > 0 {
            let why = quorum.leavesNoQuorum ? "no quorum to elect new leaders" : "no other in-sync replica"
            out.append([Span("Partitions that go offline (\(why)): ", .dialog), Span("\(wouldGoOffline)", .error)])
        }
        switch quorum {
        case .loses(let left, let voters, let majority):
            // Nobody can take over: say what stops, not that another broker will.
            out.append([Span("The cluster loses its metadata quorum: \(left) of \(voters) voters would be left, "
                             + "a majority needs \(majority). No controller, no leader elections, no topic changes; "
                             + "writes to partitions whose leader is down fail until the voters return.", .error)])
        case .alreadyLost:
            out.append([Span("The metadata quorum is already lost: nothing can take over this broker's partitions.", .error)])
        case .keeps(let left, let voters):
            if isController {
                out.append([Span("It is the active controller: another voter takes over (\(left) of \(voters) voters stay up).", .warn)])
            }
        case .none:
            if isController {
                out.append([Span(othersUp ? "It is the active controller: another broker will take over."
                                          : "It is the active controller, and no other broker is up: the cluster stops.", .warn)])
            } else if !othersUp {
                out.append([Span("No other broker is up: the cluster stops.", .warn)])
            }
        }
        out.append([])
        out.append([Span("y", .dialogBorder), Span(" kill   ", .dialog), Span("n", .dialogBorder),
                    Span("/Esc/Enter cancel (default)", .dialog)])
        return out
    }
}
