import Foundation
import SluiceBase
import SluiceStorage

/// A broker's settings, under Kafka's names where Kafka has one.
///
/// Built from a `broker.properties` file and/or the command line by ``apply(_:)``, which reads
/// every key through ``BrokerConfigKey/table`` (Kafka's names, types, defaults, validation);
/// topic-level defaults live in ``logDefaults`` and reach it through
/// `LogConfig.definitions[].brokerKey` (e.g. `log.segment.bytes` → `segment.bytes`).
public struct BrokerConfig: Sendable, Equatable {
    /// `node.id` (or `broker.id`).
    public var nodeId: Int32 = 1
    /// The client (and replication) listener's address (the first `listeners` entry that is not
    /// a controller listener). Port 0 binds an ephemeral port.
    public var listener = BrokerAddress(host: "127.0.0.1", port: 9092)
    /// That listener's name (`PLAINTEXT` unless `listeners` names it otherwise).
    public var listenerName = "PLAINTEXT"
    /// The address given to clients (`advertised.listeners`); nil means the bound listener address.
    public var advertisedListener: BrokerAddress?
    /// The controller listener (`listeners` entry named in `controller.listener.names`), where
    /// the metadata quorum, registrations, heartbeats and forwarded admin requests arrive. Nil on
    /// a single node without one, and on a broker-only node.
    public var controllerListener: BrokerAddress?
    /// `metrics.listener` (Sluice's own): the HTTP endpoint of `/metrics` and `/health/*`; nil: none.
    public var metricsListener: BrokerAddress?
    /// `controller.listener.names`.
    public var controllerListenerNames = ["CONTROLLER"]
    /// `process.roles`: `broker,controller` (combined, the default) or `broker` (a metadata
    /// observer that fetches the log from the voters and never votes).
    public var isController = true
    /// `controller.quorum.voters` (`1@host:port,...`): the voters' controller listeners. Empty
    /// means a single node that is its own one-voter quorum.
    public var quorumVoters: [Int32: BrokerAddress] = [:]
    /// The cluster settings: sessions, quorum timing, leader balancing.
    public var cluster = ClusterSettings()
    /// The data directory (`log.dirs`, first entry; Sluice uses one directory per broker).
    public var dataDirectory: String = "/tmp/sluice-logs"
    /// `broker.rack`.
    public var rack: String?
    /// `replica.selector.class`: nil reads from leaders only (Kafka's default).
    public var replicaSelector: ReplicaSelector?
    /// `quota.window.num`: samples a client quota's rate is measured over.
    public var quotaWindowNum: Int32 = 11
    /// `quota.window.size.seconds`: each sample's span.
    public var quotaWindowSizeSeconds: Int32 = 1
    /// `num.partitions`: partitions of auto-created topics and of CreateTopics with -1.
    public var numPartitions: Int32 = 1
    /// `default.replication.factor`.
    public var defaultReplicationFactor: Int16 = 1
    /// `auto.create.topics.enable`.
    public var autoCreateTopicsEnable = true
    /// `delete.topic.enable`.
    public var deleteTopicEnable = true
    /// `socket.request.max.bytes`: a larger frame closes its connection.
    public var socketRequestMaxBytes = 104_857_600
    /// `num.io.threads`: threads for blocking log reads and appends.
    public var ioThreads = 8
    /// The defaults of every topic config (`log.retention.ms`, `message.max.bytes`, ...).
    public var logDefaults = LogConfig()
    /// The storage layer's background work (`log.retention.check.interval.ms`, cleaner, ...).
    public var background = BackgroundSettings()
    /// The group coordinator's settings (`group.*`, `offsets.*`).
    public var groups = GroupCoordinatorConfig()
    /// The transaction coordinator's settings (`transaction.*`).
    public var transactions = TransactionCoordinatorConfig()
    /// Replication: `replica.lag.time.max.ms` and the follower fetch settings (`replica.*`).
    public var replication = ReplicationConfig()
    /// The `ssl.*` and `sasl.*` settings, un-prefixed and per listener (`listener.name.<l>.*`).
    public var security = BrokerSecuritySettings()
    /// `authorizer.class.name`, `super.users`, `allow.everyone.if.no.acl.found`.
    public var authorization = AuthorizationSettings()
    /// `connection.failed.authentication.delay.ms`.
    public var failedAuthenticationDelayMs: Int32 = 100
    /// Broker settings given explicitly (file or command line), by Kafka key, as the table parsed
    /// them: DescribeConfigs reports them as `STATIC_BROKER_CONFIG`.
    public var explicitSettings: [String: String] = [:]

    public init() {}

    /// The address clients are told to connect to, once the listener's port is known.
    public func advertised(boundPort: Int) -> BrokerAddress {
        if let advertisedListener { return advertisedListener }
        let host = listener.host.isEmpty || listener.host == "0.0.0.0" ? "127.0.0.1" : listener.host
        return BrokerAddress(host: host, port: boundPort)
    }
}

/// A configuration problem that stops start-up; the message names the key.
public struct BrokerConfigError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
