import KafkaProtocol
import SluiceBase

/// A topic to create.
public struct NewTopic: Sendable, Hashable {
    public var name: String
    /// -1: the broker's default (`num.partitions`).
    public var partitions: Int32
    /// -1: the broker's default (`default.replication.factor`).
    public var replicationFactor: Int16
    /// Topic configs, by Kafka's names (`retention.ms`, `cleanup.policy`, ...).
    public var configs: [String: String]

    public init(name: String, partitions: Int32 = -1, replicationFactor: Int16 = -1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// A topic in a listing.
public struct TopicListing: Sendable, Hashable {
    public var name: String
    public var topicId: KafkaUUID
    public var partitions: Int
    public var replicationFactor: Int
    public var isInternal: Bool
}

/// The kind of resource a config belongs to (DescribeConfigs resource types).
public enum ConfigResourceType: Int8, Sendable, Hashable {
    case topic = 2
    case broker = 4
    case brokerLogger = 8
}

/// A resource whose configs are described or changed.
public struct ConfigResource: Sendable, Hashable, CustomStringConvertible {
    public var type: ConfigResourceType
    public var name: String

    public init(type: ConfigResourceType, name: String) {
        self.type = type
        self.name = name
    }

    public static func topic(_ name: String) -> ConfigResource { ConfigResource(type: .topic, name: name) }
    public static func broker(_ id: Int32) -> ConfigResource { ConfigResource(type: .broker, name: String(id)) }

    public var description: String {
        switch type {
        case .topic: return "topic '\(name)'"
        case .broker: return "broker \(name)"
        case .brokerLogger: return "broker logger \(name)"
        }
    }
}

/// One config value as the broker reports it.
public struct ConfigEntry: Sendable, Hashable {
    /// Where a value comes from (DescribeConfigs `config_source`).
    public enum Source: Int8, Sendable, Hashable, CustomStringConvertible {
        case unknown = 0
        case dynamicTopic = 1
        case dynamicBroker = 2
        case dynamicDefaultBroker = 3
        case staticBroker = 4
        case defaultConfig = 5
        case dynamicBrokerLogger = 6
        case clientMetrics = 7
        case group = 8

        public var description: String {
            switch self {
            case .unknown: return "unknown"
            case .dynamicTopic: return "topic"
            case .dynamicBroker: return "dynamic-broker"
            case .dynamicDefaultBroker: return "dynamic-default-broker"
            case .staticBroker: return "static-broker"
            case .defaultConfig: return "default"
            case .dynamicBrokerLogger: return "broker-logger"
            case .clientMetrics: return "client-metrics"
            case .group: return "group"
            }
        }
    }

    public var name: String
    public var value: String?
    public var source: Source
    public var isReadOnly: Bool
    public var isSensitive: Bool
    public var isDefault: Bool { source == .defaultConfig }
}

/// A change for IncrementalAlterConfigs.
public struct ConfigChange: Sendable, Hashable {
    public enum Operation: Int8, Sendable, Hashable {
        case set = 0
        case delete = 1
        case append = 2
        case subtract = 3
    }

    public var name: String
    public var operation: Operation
    public var value: String?

    public init(name: String, operation: Operation = .set, value: String?) {
        self.name = name
        self.operation = operation
        self.value = value
    }

    public static func set(_ name: String, _ value: String) -> ConfigChange { ConfigChange(name: name, value: value) }
    public static func delete(_ name: String) -> ConfigChange { ConfigChange(name: name, operation: .delete, value: nil) }
}

/// A group in a listing.
public struct GroupListing: Sendable, Hashable {
    public var groupId: String
    public var protocolType: String
    /// Empty when the broker does not report states (ListGroups before v4).
    public var state: String
    public var coordinator: Int32
    /// `classic` or `consumer` (KIP-848); empty when the broker does not say (ListGroups before v5).
    public var type: String = ""
}

/// A group member, with its subscription and assignment decoded when it is a consumer.
public struct GroupMemberDescription: Sendable, Hashable {
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var subscribedTopics: [String]
    /// What the member holds now (with the consumer protocol: including partitions it is
    /// still giving up).
    public var assignment: [TopicPartition]
    /// Consumer protocol only: the member's epoch and the partitions the broker's assignor gave
    /// it; while they differ from `assignment`, partitions are moving.
    public var memberEpoch: Int32? = nil
    public var targetAssignment: [TopicPartition]? = nil

    /// Partitions the member holds but must give up (consumer protocol).
    public var revoking: [TopicPartition] {
        guard let target = targetAssignment else { return [] }
        return assignment.filter { !target.contains($0) }
    }

    /// Partitions the member is to get, once their holders have given them up (consumer protocol).
    public var assigning: [TopicPartition] {
        guard let target = targetAssignment else { return [] }
        return target.filter { !assignment.contains($0) }
    }
}

/// A group as DescribeGroups (classic) or ConsumerGroupDescribe (consumer) reports it.
public struct GroupDescription: Sendable, Hashable {
    public var groupId: String
    public var state: String
    public var protocolType: String
    /// The assignor (for consumer groups: the client's; with the consumer protocol: the broker's).
    public var protocolName: String
    public var members: [GroupMemberDescription]
    public var coordinator: Int32
    /// `classic` or `consumer` (KIP-848).
    public var type: String = "classic"
    /// Consumer protocol only: the group's epoch and its target assignment's.
    public var groupEpoch: Int32? = nil
    public var assignmentEpoch: Int32? = nil
}

/// A partition's committed offset, log end and the lag between them.
public struct PartitionLag: Sendable, Hashable {
    public var topicPartition: TopicPartition
    /// nil: nothing committed.
    public var committed: Int64?
    public var logEnd: Int64
    /// The member that owns the partition now, if any.
    public var owner: String?
    public var lag: Int64? { committed.map { max(0, logEnd - $0) } }
}

/// The cluster as DescribeCluster (or Metadata) reports it.
public struct ClusterDescription: Sendable, Hashable {
    public var clusterId: String?
    public var controllerId: Int32
    public var brokers: [BrokerInfo]
    /// What the principal may do on the cluster, as Kafka's bit field (bit n: ACL operation code
    /// n; 8 is DESCRIBE); nil when not asked for or not reported.
    public var authorizedOperations: Int32?

    public init(clusterId: String?, controllerId: Int32, brokers: [BrokerInfo], authorizedOperations: Int32? = nil) {
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.brokers = brokers
        self.authorizedOperations = authorizedOperations
    }
}

/// One log directory of a broker.
public struct LogDirDescription: Sendable, Hashable {
    public struct PartitionSize: Sendable, Hashable {
        public var topicPartition: TopicPartition
        public var size: Int64
        public var offsetLag: Int64
    }

    public var broker: Int32
    public var path: String
    public var error: ErrorCode
    /// -1 when the broker does not report it (DescribeLogDirs before v4).
    public var totalBytes: Int64
    public var usableBytes: Int64
    public var partitions: [PartitionSize]
}
