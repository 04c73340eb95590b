/// The `r` confirmation for a broker that is running: it stops with a controlled shutdown and
/// starts again on its data. Only `y` confirms; every other key cancels. (A broker that is down
/// starts at once, without asking.)
public struct RestartBrokerDialog: Equatable, Sendable {
    public var broker: Int32
    public var isController: Bool
    public var quorum: KillBrokerDialog.QuorumEffect

    public init(broker: Int32, isController: Bool, quorum: KillBrokerDialog.QuorumEffect) {
        self.broker = broker
        self.isController = isController
        self.quorum = quorum
    }

    public static func make(broker: Int32, state: AppState) -> RestartBrokerDialog {
        RestartBrokerDialog(broker: broker, isController: state.activeControllerID == broker,
                            quorum: KillBrokerDialog.quorumEffect(stopping: broker, state: state))
    }

    public func lines(width: Int) -> [[Span]] {
        var out: [[Span]] = [
            [Span("Restart broker \(broker)? It is running.", .dialog)],
            [],
            [Span("It stops with a controlled shutdown (SIGTERM: the controller moves its partition leaders first), "
                  + "then starts again on the same data.", .dialog)],
        ]
        switch quorum {
        case .loses(let left, let voters, let majority):
            out.append([Span("While it restarts the cluster has no metadata quorum: \(left) of \(voters) voters up, "
                             + "a majority needs \(majority). Its controlled shutdown cannot complete either.", .error)])
        case .alreadyLost:
            out.append([Span("The metadata quorum is lost: its leaderships cannot move; it stops without that.", .error)])
        case .keeps, .none:
            if isController { out.append([Span("It is the active controller: another voter takes over.", .warn)]) }
        }
        out.append([])
        out.append([Span("y", .dialogBorder), Span(" restart   ", .dialog), Span("n", .dialogBorder),
                    Span("/Esc/Enter cancel (default)", .dialog)])
        return out
    }
}
