import KafkaProtocol
import NIOConcurrencyHelpers
import SluiceStorage

/// Dynamic broker configs, as Kafka's `DynamicBrokerConfig` has them: AlterConfigs /
/// IncrementalAlterConfigs on a BROKER resource set keys for one broker (`name` = its id) or as
/// the cluster-wide default (`name` = ""), stored as `ConfigRecord`s in the metadata log (the
/// image's ``MetadataImage/brokerConfigs`` and ``MetadataImage/brokerDefaults``), so every broker
/// sees them. Precedence, as in Kafka: the broker's own dynamic value, then the cluster-wide
/// default, then the static setting (file or command line), then the default.
///
/// Only keys Kafka 3.9 marks dynamically updatable (``BrokerConfigUpdateMode``) are accepted:
/// per-broker keys for a broker only, cluster-wide keys for both; anything else is refused with
/// Kafka's INVALID_REQUEST message. The values are checked by the table's own parser.
enum DynamicBrokerConfig {
    /// Checks a BROKER resource's new set of dynamic configs; `resourceName` is "" or a broker id.
    static func validate(_ configs: [String: String], resourceName: String) throws {
        guard resourceName.isEmpty || Int32(resourceName) != nil else {
            throw ApiError(.invalidRequest, "Broker id must be an integer, but it is: \(resourceName)")
        }
        let perBroker = !resourceName.isEmpty
        var readOnly: [String] = [], brokerOnly: [String] = []
        for (name, _) in configs.sorted(by: { $0.key < $1.key }) {
            guard let key = BrokerConfigKey.named(name) else {
                throw ApiError(.invalidConfig, "Unknown broker config: \(name)")
            }
            switch key.updateMode {
            case .readOnly: readOnly.append(name)
            case .perBroker: if !perBroker { brokerOnly.append(name) }
            case .clusterWide: break
            }
        }
        // Kafka's messages (Scala `Set` printed as such).
        if !readOnly.isEmpty {
            throw ApiError(.invalidRequest, "Cannot update these configs dynamically: Set(\(readOnly.joined(separator: ", ")))")
        }
        if !brokerOnly.isEmpty {
            throw ApiError(.invalidRequest,
                           "Cannot update these configs at default cluster level, broker id must be specified: Set(\(brokerOnly.joined(separator: ", ")))")
        }
        do {
            _ = try BrokerConfig().applyingDynamic(defaults: [:], perBroker: configs)
        } catch let error as ApiError {
            throw error
        } catch {
            throw ApiError(.invalidConfig, "\(error)")
        }
    }
}

extension BrokerConfig {
    /// This configuration with dynamic configs on top: the cluster-wide `defaults`, then this
    /// broker's own `perBroker` values, through the same parser as the static settings (so time
    /// units resolve as they do there: the finest unit given wins). ``explicitSettings`` keeps
    /// only the static settings, so that DescribeConfigs can tell the sources apart.
    func applyingDynamic(defaults: [String: String], perBroker: [String: String]) throws -> BrokerConfig {
        if defaults.isEmpty && perBroker.isEmpty { return self }
        var config = self
        try config.apply(defaults.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
        try config.apply(perBroker.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
        config.explicitSettings = explicitSettings
        return config
    }

    /// The configuration in force on broker `id` given `image`'s dynamic configs (this
    /// configuration alone if they do not apply, which validation before they were stored rules out).
    func inForce(on id: Int32, image: MetadataImage) -> BrokerConfig {
        (try? applyingDynamic(defaults: image.brokerDefaults, perBroker: image.brokerConfigs[id] ?? [:])) ?? self
    }
}

/// One broker's configuration in force, recomputed only when the image's dynamic configs for it
/// change (images change far more often than dynamic configs do).
final class BrokerConfigInForce: Sendable {
    private struct Cached {
        var defaults: [String: String]
        var own: [String: String]
        var config: BrokerConfig
    }

    let base: BrokerConfig
    private let cached: NIOLockedValueBox<Cached?> = NIOLockedValueBox(nil)

    init(base: BrokerConfig) {
        self.base = base
    }

    func config(for image: MetadataImage) -> BrokerConfig {
        let defaults = image.brokerDefaults, own = image.brokerConfigs[base.nodeId] ?? [:]
        if defaults.isEmpty && own.isEmpty { return base }
        if let hit = cached.withLockedValue({ $0 }), hit.defaults == defaults, hit.own == own { return hit.config }
        let config = base.inForce(on: base.nodeId, image: image)
        cached.withLockedValue { $0 = Cached(defaults: defaults, own: own, config: config) }
        return config
    }
}
