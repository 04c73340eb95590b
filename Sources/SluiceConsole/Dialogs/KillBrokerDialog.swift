/// The `x` confirmation: killing a broker with SIGKILL, saying how many partition leaders will move.
/// Only `y` confirms; every other key (Enter included) cancels.
public struct KillBrokerDialog: Equatable, Sendable {
    public var broker: Int32
    /// Partitions the broker leads now: their leadership moves (or they go offline without another ISR member).
    public var leadersToMove: Int
    /// Of those, the partitions with no other in-sync replica: they go offline.
    public var wouldGoOffline: Int
    public var isController: Bool
    /// Other brokers are up (so a controller can be elected among them).
    public var othersUp: Bool

    public init(broker: Int32, leadersToMove: Int, wouldGoOffline: Int, isController: Bool, othersUp: Bool) {
        self.broker = broker
        self.leadersToMove = leadersToMove
        self.wouldGoOffline = wouldGoOffline
        self.isController = isController
        self.othersUp = othersUp
    }

    /// The dialog for `broker` in the current snapshot.
    public static func make(broker: Int32, snapshot: ClusterSnapshot?) -> KillBrokerDialog {
        let led = (snapshot?.partitions ?? []).filter { $0.leader == broker }
        let stranded = led.filter { p in !p.isr.contains { $0 != broker } }.count
        let others = (snapshot?.brokers ?? []).contains { $0.id != broker && $0.registered }
        return KillBrokerDialog(broker: broker, leadersToMove: led.count - stranded, wouldGoOffline: stranded,
                                isController: snapshot?.controllerID == broker, othersUp: others)
    }

    public func lines(width: Int) -> [[Span]] {
        var out: [[Span]] = [
            [Span("Kill broker \(broker) with SIGKILL (a real crash)?", .dialog)],
            [],
            [Span("Partition leaders that will move: ", .dialog), Span("\(leadersToMove)", .warn)],
        ]
        if wouldGoOffline > 0 {
            out.append([Span("Partitions that go offline (no other in-sync replica): ", .dialog),
                        Span("\(wouldGoOffline)", .error)])
        }
        if isController {
            out.append([Span(othersUp ? "It is the active controller: another broker will take over."
                                      : "It is the active controller, and no other broker is up: the cluster stops.", .warn)])
        } else if !othersUp {
            out.append([Span("No other broker is up: the cluster stops.", .warn)])
        }
        out.append([])
        out.append([Span("y", .dialogBorder), Span(" kill   ", .dialog), Span("n", .dialogBorder),
                    Span("/Esc/Enter cancel (default)", .dialog)])
        return out
    }
}
