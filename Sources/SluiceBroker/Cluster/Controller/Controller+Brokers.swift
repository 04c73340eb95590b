import KafkaProtocol
import SluiceBase

// Broker registration, heartbeats and leases, fencing, controlled shutdown, unregistration.
extension Controller {
    /// BrokerRegistration: a (re)started broker joins fenced; its epoch is the offset of its
    /// registration record. A retry of the same incarnation gets the same epoch back.
    func register(_ request: BrokerRegistrationRequest, driver: RaftDriver,
                  done: @escaping (Result<Int64, ApiError>) -> Void) {
        guard isActive else { return done(.failure(Self.notController(driver))) }
        if let clusterId = image.clusterId, !request.clusterId.isEmpty, request.clusterId != clusterId {
            return done(.failure(ApiError(.inconsistentClusterId,
                                          "Broker \(request.brokerId) belongs to cluster \(request.clusterId), this is \(clusterId)")))
        }
        let incarnation = request.incarnationId.base64
        if let existing = image.brokers[request.brokerId], existing.incarnationId == incarnation {
            leases[request.brokerId] = driver.nowMs + settings.sessionTimeoutMs
            return done(.success(existing.epoch))
        }
        if image.brokers[request.brokerId] != nil {
            // A new incarnation: the old process is gone; take it out of its partitions first (as
            // many batches as that takes; the registration follows them in the log).
            let removals = removalChanges(for: request.brokerId, unclean: true).map(MetadataRecord.partitionChange)
            commit(removals, driver: driver, name: "removing broker \(request.brokerId)'s old incarnation") { _ in }
        }
        // The broker epoch is the offset of the batch that registers it.
        let epoch = nextOffset
        heartbeats.forget(request.brokerId)
        let endpoints = request.listeners.map {
            BrokerEndpoint(name: $0.name, address: BrokerAddress(host: $0.host, port: Int($0.port)), securityProtocol: $0.securityProtocol)
        }
        let rack = request.rack.flatMap { $0.isEmpty ? nil : $0 }
        let records: [MetadataRecord] = [.registerBroker(BrokerRegistration(id: request.brokerId, incarnationId: incarnation,
                                                                            epoch: epoch, endpoints: endpoints, rack: rack,
                                                                            fenced: true))]
        leases[request.brokerId] = driver.nowMs + settings.sessionTimeoutMs
        commit(records, driver: driver) { [logger] error in
            if let error { return done(.failure(error)) }
            logger.info("registered broker \(request.brokerId) (epoch \(epoch), \(endpoints.map(\.description)))")
            done(.success(epoch))
        }
    }

    /// BrokerHeartbeat: renews the lease; unfences a caught-up broker; starts a controlled
    /// shutdown when asked.
    func heartbeat(_ request: BrokerHeartbeatRequest, driver: RaftDriver,
                   done: @escaping (BrokerHeartbeatResponse) -> Void) {
        var response = BrokerHeartbeatResponse()
        guard isActive else {
            response.errorCode = ErrorCode.notController.rawValue
            return done(response)
        }
        guard let broker = image.brokers[request.brokerId], broker.epoch == request.brokerEpoch else {
            response.errorCode = ErrorCode.staleBrokerEpoch.rawValue
            return done(response)
        }
        leases[broker.id] = driver.nowMs + settings.sessionTimeoutMs
        let caughtUp = request.currentMetadataOffset >= broker.epoch
        response.isCaughtUp = caughtUp
        var records: [MetadataRecord] = []
        if request.wantShutDown {
            if !broker.inControlledShutdown {
                records.append(.brokerShutdownChange(id: broker.id, epoch: broker.epoch, inControlledShutdown: true))
            }
            // Leaderships move now, so that clients find the new leaders before the broker stops.
            records += removalChanges(for: broker.id, unclean: false, gracefully: true).map(MetadataRecord.partitionChange)
        } else if broker.fenced && caughtUp && !request.wantFence {
            records.append(.unfenceBroker(id: broker.id, epoch: broker.epoch))
            // In the same batch: partitions that wait for this broker (the last in their ISR) get it
            // as leader, so that it leads them as soon as it is told it is unfenced.
            var view = image
            view.brokers[broker.id]?.fenced = false
            records += offlineElections(in: view).map(MetadataRecord.partitionChange)
        } else if !broker.fenced && request.wantFence {
            records.append(.fenceBroker(id: broker.id, epoch: broker.epoch))
            records += removalChanges(for: broker.id, unclean: false).map(MetadataRecord.partitionChange)
        }
        commit(records, driver: driver) { [self] error in
            if let error {
                response.errorCode = error.code.rawValue
                return done(response)
            }
            if records.contains(where: { if case .unfenceBroker = $0 { return true }; return false }) {
                logger.info("unfenced broker \(broker.id)")
            }
            let current = image.brokers[broker.id]
            response.isFenced = current?.fenced ?? true
            // Done once every leadership that can move has moved.
            response.shouldShutDown = request.wantShutDown && removalChanges(for: broker.id, unclean: false, gracefully: true)
                .allSatisfy { $0.leader == nil }
            done(response)
        }
    }

    /// UnregisterBroker (decommission): the broker leaves the image; its partitions lose it.
    func unregister(brokerId: Int32, driver: RaftDriver, done: @escaping (ApiError?) -> Void) {
        guard isActive else { return done(Self.notController(driver)) }
        guard let broker = image.brokers[brokerId] else {
            return done(ApiError(.brokerIdNotRegistered, "Broker \(brokerId) is not registered."))
        }
        var records = removalChanges(for: brokerId, unclean: false).map(MetadataRecord.partitionChange)
        records.append(.unregisterBroker(id: brokerId, epoch: broker.epoch))
        leases[brokerId] = nil
        heartbeats.forget(brokerId)
        commit(records, driver: driver) { [logger] error in
            if error == nil { logger.info("unregistered broker \(brokerId)") }
            done(error)
        }
    }

    /// Fences brokers whose lease ran out and moves their leaderships. A lease runs a session
    /// past the latest heartbeat, counted from when it *arrived* (``BrokerHeartbeatTracker``),
    /// not from when this queue got to it.
    func fenceExpiredBrokers(nowMs: Int64, driver: RaftDriver) {
        for broker in image.brokers.values where !broker.fenced {
            var deadline = leases[broker.id] ?? (nowMs + settings.sessionTimeoutMs)
            if let contact = heartbeats.lastContact(broker.id, epoch: broker.epoch) {
                deadline = max(deadline, contact + settings.sessionTimeoutMs)
            }
            leases[broker.id] = deadline
            guard deadline < nowMs else { continue }
            var records: [MetadataRecord] = [.fenceBroker(id: broker.id, epoch: broker.epoch)]
            records += removalChanges(for: broker.id, unclean: true).map(MetadataRecord.partitionChange)
            logger.warning("broker \(broker.id) missed its session timeout (\(settings.sessionTimeoutMs) ms): fencing it")
            commit(records, driver: driver, name: "fencing broker \(broker.id)") { _ in }
        }
    }

    /// The changes that take `broker` out of every partition's ISR and leadership. `unclean`
    /// applies each topic's unclean-election setting (a broker that is *gone*); a clean
    /// shutdown never elects uncleanly.
    func removalChanges(for broker: Int32, unclean: Bool, gracefully: Bool = false) -> [PartitionChange] {
        var changes: [PartitionChange] = []
        var view = image
        // Elections must not pick the broker being removed.
        view.brokers[broker]?.fenced = true
        for topic in image.topics.values.sorted(by: { $0.name < $1.name }) {
            let allowUnclean = unclean && PartitionElection.uncleanAllowed(topic, default: settings.uncleanLeaderElectionEnable)
            for p in topic.partitions {
                if let change = PartitionElection.removing(broker, from: p, image: view, unclean: allowUnclean,
                                                           gracefully: gracefully) {
                    changes.append(change)
                }
            }
        }
        return changes
    }

    /// Leaders for leaderless partitions whose ISR members (or, unclean, replicas) are live in `view`.
    func offlineElections(in view: MetadataImage) -> [PartitionChange] {
        var changes: [PartitionChange] = []
        for topic in view.topics.values.sorted(by: { $0.name < $1.name }) {
            let unclean = PartitionElection.uncleanAllowed(topic, default: settings.uncleanLeaderElectionEnable)
            for p in topic.partitions {
                if let change = PartitionElection.electOffline(p, image: view, unclean: unclean) { changes.append(change) }
            }
        }
        return changes
    }

    /// Moves leadership back to preferred replicas on brokers whose share of non-preferred
    /// leaders exceeds `leader.imbalance.per.broker.percentage`.
    func rebalancePreferredLeaders(driver: RaftDriver) {
        var preferredCount: [Int32: Int] = [:]
        var misplaced: [Int32: [PartitionRegistration]] = [:]
        for topic in image.topics.values {
            for p in topic.partitions where p.preferredLeader >= 0 {
                preferredCount[p.preferredLeader, default: 0] += 1
                if p.leader != p.preferredLeader { misplaced[p.preferredLeader, default: []].append(p) }
            }
        }
        var changes: [MetadataRecord] = []
        for (broker, partitions) in misplaced {
            let ratio = Double(partitions.count) / Double(max(1, preferredCount[broker] ?? 1))
            guard ratio * 100 > Double(settings.leaderImbalancePerBrokerPercentage) else { continue }
            for p in partitions {
                if let change = PartitionElection.preferred(p, image: image) { changes.append(.partitionChange(change)) }
            }
        }
        if !changes.isEmpty {
            logger.info("preferred-leader election for \(changes.count) partition(s)")
            commit(changes, driver: driver, atomic: false, name: "preferred-leader election") { _ in }
        }
    }
}
