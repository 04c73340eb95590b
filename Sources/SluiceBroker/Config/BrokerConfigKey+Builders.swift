import SluiceStorage

/// The shapes of table entries: a boolean or integer field, a topic config's broker default, a
/// key Sluice ignores, or a key with its own parser.
extension BrokerConfigKey {
    typealias Field<T> = WritableKeyPath<BrokerConfig, T> & Sendable

    static func boolean(_ name: String, _ defaultValue: Bool, _ mode: BrokerConfigUpdateMode,
                        _ importance: BrokerConfigImportance, _ documentation: String,
                        kafka: KafkaDefault = .same, _ field: Field<Bool>) -> BrokerConfigKey {
        BrokerConfigKey(name: name, type: .boolean, defaultValue: String(defaultValue), kafka: kafka, validator: .any,
                        updateMode: mode, importance: importance, documentation: documentation, support: .applied,
                        apply: { value, config in config[keyPath: field] = value.boolean },
                        read: { String($0[keyPath: field]) })
    }

    /// An int, short or long config kept in a field of type `T`; the bounds are the validator's,
    /// narrowed to what `T` holds.
    static func integer<T: FixedWidthInteger & Sendable>(
        _ name: String, _ type: BrokerConfigType, _ defaultValue: T, min: Int64? = nil, max: Int64? = nil,
        _ mode: BrokerConfigUpdateMode, _ importance: BrokerConfigImportance, _ documentation: String,
        kafka: KafkaDefault = .same, _ field: Field<T>
    ) -> BrokerConfigKey {
        let fieldMin = T.min < 0 ? Int64(truncatingIfNeeded: T.min) : 0
        let fieldMax = T.bitWidth >= 64 && !T.isSigned ? Int64.max : Int64(truncatingIfNeeded: T.max)
        let lower = Swift.max(min ?? type.range.lowerBound, fieldMin, type.range.lowerBound)
        let upper = Swift.min(max ?? type.range.upperBound, fieldMax, type.range.upperBound)
        let validator = BrokerConfigValidator.range(min: lower == type.range.lowerBound ? nil : lower,
                                                    max: upper == type.range.upperBound ? nil : upper)
        return BrokerConfigKey(name: name, type: type, defaultValue: String(defaultValue), kafka: kafka,
                               validator: validator, updateMode: mode, importance: importance,
                               documentation: documentation, support: .applied,
                               apply: { value, config in config[keyPath: field] = T(value.integer) },
                               read: { String($0[keyPath: field]) })
    }

    /// The broker-wide default of a topic config (`LogConfig.definitions[].brokerKey`), e.g.
    /// `log.segment.bytes` for `segment.bytes`. `LogConfig` validates the value again.
    static func topicDefault(_ name: String, _ type: BrokerConfigType, _ defaultValue: String?,
                             _ validator: BrokerConfigValidator = .any, _ mode: BrokerConfigUpdateMode,
                             _ importance: BrokerConfigImportance, _ documentation: String,
                             kafka: KafkaDefault = .same) -> BrokerConfigKey {
        guard let topicName = LogConfig.definitions.first(where: { $0.brokerKey == name })?.name else {
            preconditionFailure("\(name) is no topic config's broker key")
        }
        return BrokerConfigKey(
            name: name, type: type, defaultValue: defaultValue, kafka: kafka, validator: validator, updateMode: mode,
            importance: importance, documentation: documentation, support: .applied,
            apply: { value, config in try config.setTopicDefault(topicName, value.text, key: name) },
            read: { $0.logDefaults.value(of: topicName) })
    }

    /// A key resolved with its synonyms after every key is read (see `BrokerConfig+Properties`):
    /// only its type and validator are checked when it is read. `inForce` names the topic config
    /// whose default the key shows as its value (the finest unit of a time group); the coarser
    /// units show their own value.
    static func resolvedLater(_ name: String, _ type: BrokerConfigType, _ defaultValue: String?,
                              _ validator: BrokerConfigValidator = .any, _ mode: BrokerConfigUpdateMode,
                              _ importance: BrokerConfigImportance, _ documentation: String,
                              inForce topicName: String? = nil) -> BrokerConfigKey {
        var read: (@Sendable (BrokerConfig) -> String?)?
        if let topicName { read = { $0.logDefaults.value(of: topicName) } }
        return BrokerConfigKey(name: name, type: type, defaultValue: defaultValue, kafka: .same, validator: validator,
                               updateMode: mode, importance: importance, documentation: documentation,
                               support: .applied, apply: nil, read: read)
    }

    /// A key Kafka has and Sluice accepts without effect; `why` says what Sluice does instead.
    static func ignored(_ name: String, _ type: BrokerConfigType, _ defaultValue: String?,
                        _ validator: BrokerConfigValidator = .any, _ mode: BrokerConfigUpdateMode,
                        _ importance: BrokerConfigImportance, _ documentation: String, why: String) -> BrokerConfigKey {
        BrokerConfigKey(name: name, type: type, defaultValue: defaultValue, kafka: .same, validator: validator,
                        updateMode: mode, importance: importance, documentation: documentation, support: .ignored(why),
                        apply: nil, read: nil)
    }
}

extension BrokerConfig {
    /// Sets a topic config's broker-wide default, naming the broker key if `LogConfig` refuses it.
    mutating func setTopicDefault(_ topicName: String, _ value: String, key: String) throws {
        do {
            try logDefaults.set(topicName, to: value)
        } catch let error as StorageError {
            throw BrokerConfigError("invalid value for \(key): '\(value)' (\(error))")
        }
    }
}
