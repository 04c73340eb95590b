import SluiceBase

/// A live broker as the metadata log knows it (`RegisterBrokerRecord`, then fencing changes).
///
/// A broker registers when it starts (BrokerRegistration), then keeps its lease with
/// BrokerHeartbeat. It starts **fenced** (it gets no leaderships) and is unfenced once it has
/// caught up with the metadata log; the controller fences it again when its lease expires, and
/// it leaves the image when it is unregistered (decommission).
public struct BrokerRegistration: Sendable, Hashable, CustomStringConvertible {
    public var id: Int32
    /// Random per process start: a restarted broker registers again with a new incarnation.
    public var incarnationId: String
    /// The broker epoch: the metadata offset of its latest registration. Heartbeats and
    /// AlterPartition carry it, so that a stale incarnation is rejected.
    public var epoch: Int64
    public var endpoints: [BrokerEndpoint]
    public var rack: String?
    public var fenced: Bool
    /// The broker asked to shut down: it is given no new leaderships, and its current ones move.
    public var inControlledShutdown: Bool

    public init(id: Int32, incarnationId: String, epoch: Int64, endpoints: [BrokerEndpoint], rack: String?,
                fenced: Bool, inControlledShutdown: Bool = false) {
        self.id = id
        self.incarnationId = incarnationId
        self.epoch = epoch
        self.endpoints = endpoints
        self.rack = rack
        self.fenced = fenced
        self.inControlledShutdown = inControlledShutdown
    }

    /// Whether the controller may make this broker a partition leader or count it in the ISR.
    public var isActive: Bool { !fenced && !inControlledShutdown }

    /// The client endpoint: the first listener that is not a controller listener.
    public var clientEndpoint: BrokerEndpoint? { endpoints.first }

    public var description: String {
        "broker \(id) epoch \(epoch) \(endpoints.map(\.description).joined(separator: ","))"
            + (rack.map { " rack \($0)" } ?? "") + (fenced ? " fenced" : "") + (inControlledShutdown ? " shutting-down" : "")
    }
}

/// One listener of a broker: `PLAINTEXT://10.0.0.2:9092`, as a broker registers it.
public struct BrokerEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The listener's name (`PLAINTEXT`, `CONTROLLER`, ...).
    public var name: String
    public var address: BrokerAddress
    /// Kafka's security protocol id (0 = PLAINTEXT).
    public var securityProtocol: Int16

    public init(name: String, address: BrokerAddress, securityProtocol: Int16 = 0) {
        self.name = name
        self.address = address
        self.securityProtocol = securityProtocol
    }

    public var description: String { "\(name)://\(address)" }
}
