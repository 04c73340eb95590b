import KafkaProtocol

extension Controller {
    /// Replaces a BROKER resource's dynamic configs (`name` "" for the cluster-wide defaults, or
    /// a broker id) with `configs`, as `ConfigRecord`s of resource type 4 (Kafka's records):
    /// changed keys set, keys no longer given removed (a null value).
    func setBrokerConfigs(resource name: String, to configs: [String: String], validateOnly: Bool,
                          driver: RaftDriver, done: @escaping (ApiError?) -> Void) {
        guard isActive else { return done(Self.notController(driver)) }
        do {
            try DynamicBrokerConfig.validate(configs, resourceName: name)
        } catch let error as ApiError {
            return done(error)
        } catch {
            return done(ApiError(.invalidConfig, "\(error)"))
        }
        if validateOnly { return done(nil) }
        let current = name.isEmpty ? image.brokerDefaults : image.brokerConfigs[Int32(name)!] ?? [:]
        var records: [MetadataRecord] = []
        for (key, value) in configs.sorted(by: { $0.key < $1.key }) where current[key] != value {
            records.append(.config(resourceType: 4, resourceName: name, name: key, value: value))
        }
        for key in current.keys.sorted() where configs[key] == nil {
            records.append(.config(resourceType: 4, resourceName: name, name: key, value: nil))
        }
        commit(records, driver: driver, done: done)
    }
}
