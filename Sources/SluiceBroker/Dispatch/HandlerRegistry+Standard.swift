import KafkaProtocol
import SluiceSecurity

extension HandlerRegistry {
    /// Every API the broker implements. ApiVersions is registered last, with the final list.
    static func standard(services: BrokerServices) -> HandlerRegistry {
        var registry = HandlerRegistry()
        registry.register(ProduceHandler(services: services))
        registry.register(FetchHandler(services: services))
        registry.register(ListOffsetsHandler(services: services))
        registry.register(MetadataHandler(services: services))
        registry.register(CreateTopicsHandler(services: services))
        registry.register(DeleteTopicsHandler(services: services))
        registry.register(InitProducerIdHandler(services: services))
        registry.register(OffsetForLeaderEpochHandler(services: services))
        registry.register(DescribeConfigsHandler(services: services))
        registry.register(AlterConfigsHandler(services: services))
        registry.register(DescribeLogDirsHandler(services: services))
        registry.register(CreatePartitionsHandler(services: services))
        registry.register(IncrementalAlterConfigsHandler(services: services))
        registry.register(DescribeClusterHandler(services: services))
        registry.register(DeleteRecordsHandler(services: services))
        // Cluster operations: ALTER to change, DESCRIBE to look (CLUSTER_AUTHORIZATION_FAILED otherwise).
        registry.register(ForwardingHandler<AlterPartitionReassignmentsRequest>(services: services, requires: .alter) { _, error in
            AlterPartitionReassignmentsResponse(errorCode: error.code.rawValue, errorMessage: error.message)
        })
        registry.register(ForwardingHandler<ListPartitionReassignmentsRequest>(services: services, requires: .describe) { _, error in
            ListPartitionReassignmentsResponse(errorCode: error.code.rawValue, errorMessage: error.message)
        })
        registry.register(ForwardingHandler<UnregisterBrokerRequest>(services: services, requires: .alter) { _, error in
            UnregisterBrokerResponse(errorCode: error.code.rawValue, errorMessage: error.message)
        })
        registry.register(ForwardingHandler<DescribeQuorumRequest>(services: services, requires: .describe) { _, error in
            DescribeQuorumResponse(errorCode: error.code.rawValue, errorMessage: error.message)
        })
        registry.registerGroupHandlers(services: services)
        registry.registerTransactionHandlers(services: services)
        registry.registerSecurityHandlers(services: services)
        let advertised = registry.advertisedVersions + [(key: .apiVersions, versions: ApiVersionsHandler.versions)]
        registry.register(ApiVersionsHandler(advertised: advertised.sorted { $0.key.rawValue < $1.key.rawValue }))
        return registry
    }
}
