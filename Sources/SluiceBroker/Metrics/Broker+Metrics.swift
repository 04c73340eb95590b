import NIOCore
import SluiceStorage

/// Why `/health/ready` answers 503, or nil when it answers 200.
public struct BrokerReadiness: Sendable, Equatable {
    public var isReady: Bool { reason == nil }
    /// The first unmet condition, in words (the 503 body).
    public var reason: String?
}

extension Broker {
    /// Ready means: registered with the controller, unfenced, the metadata image caught up with
    /// this broker's own registration, and its partition logs opened (recovered) for that image.
    /// Load balancers and orchestrators route clients only to a ready broker.
    public var readiness: BrokerReadiness {
        let lifecycle = cluster.lifecycle
        if lifecycle.brokerEpoch < 0 { return BrokerReadiness(reason: "not registered with the controller") }
        if !lifecycle.hasCaughtUp { return BrokerReadiness(reason: "metadata not caught up") }
        if lifecycle.isFenced { return BrokerReadiness(reason: "fenced by the controller") }
        if !cluster.publisher.hasDeliveredFirstImage { return BrokerReadiness(reason: "partition logs not loaded") }
        return BrokerReadiness(reason: nil)
    }

    /// Refreshes the state gauges (partitions, controller, metadata, groups) from this broker's
    /// state, then renders every metric. Runs on `eventLoop`: it reads snapshots under short
    /// locks and asks the Raft queue for its status (a future), never blocking; the `/proc/self`
    /// reads of the process metrics and the partition log sizes run on the I/O pool.
    func scrapeMetrics(on eventLoop: any EventLoop) -> EventLoopFuture<[UInt8]> {
        let gauges = metrics.gauges
        let image = cluster.image
        let nodeId = config.nodeId
        let defaultMinIsr = Int(config.logDefaults.minInsyncReplicas)
        var leaders = 0, replicas = 0, underReplicated = 0, underMinIsr = 0
        var offline = 0, total = 0
        for topic in image.topics.values {
            let minIsr = topic.configs["min.insync.replicas"].flatMap(Int.init) ?? defaultMinIsr
            for partition in topic.partitions {
                total += 1
                if partition.leader < 0 { offline += 1 }
                if partition.isReplica(nodeId) { replicas += 1 }
                guard partition.leader == nodeId else { continue }
                leaders += 1
                if partition.isr.count < partition.replicas.count { underReplicated += 1 }
                if partition.isr.count < minIsr { underMinIsr += 1 }
            }
        }
        gauges.leaderCount.record(leaders)
        gauges.partitionCount.record(replicas)
        gauges.underReplicated.record(underReplicated)
        gauges.underMinIsr.record(underMinIsr)
        let isController = cluster.controllerId == nodeId
        gauges.activeController.record(isController ? 1 : 0)
        gauges.offlinePartitions.record(isController ? offline : 0)
        gauges.globalPartitionCount.record(isController ? total : 0)
        gauges.activeBrokers.record(isController ? image.activeBrokers.count : 0)
        gauges.fencedBrokers.record(isController ? image.brokers.values.filter(\.fenced).count : 0)
        gauges.metadataAppliedOffset.record(image.offset - 1)
        let (_, listings) = services.groups.listGroups()
        gauges.numGroups.record(listings.count)
        for (state, gauge) in gauges.groupsByState {
            gauge.record(listings.filter { $0.state == state }.count)
        }
        gauges.ready.record(readiness.isReady ? 1 : 0)
        gauges.connections.record(clientConnectionCount)
        let metrics = self.metrics
        let process = metrics.process
        let logSizes = metrics.logSizes, logs = self.logs
        let processRead = pool.runIfActive(eventLoop: eventLoop) {
            process.refresh()
            logSizes.refresh(from: logs.allLogs)
        }
            .recover { _ in }  // the pool is stopping: the process figures stay as last read
        let driver = cluster.driver
        return processRead.flatMap { driver.status(on: eventLoop) }.map { status in
            gauges.raftHighWatermark.record(status.highWatermark)
            gauges.metadataLag.record(max(0, status.highWatermark - image.offset))
            return metrics.emitText()
        }.flatMapErrorWithEventLoop { _, loop in
            // The quorum is stopping: the other figures still hold.
            loop.makeSucceededFuture(metrics.emitText())
        }
    }
}
