import Foundation
import KafkaProtocol
import Logging
import SluiceRaft
import SluiceStorage

/// The active controller's logic: it runs on the Raft leader, turns requests (registrations,
/// heartbeats, admin requests, AlterPartition) and timers (leases, preferred leaders,
/// reassignments) into metadata records, proposes them and answers once they are committed.
///
/// Confined to the driver's application queue (``RaftApplicationQueue``): every method is called
/// there, one at a time (``RaftDriver/submit(_:ifStopped:)`` or an application callback), which is
/// what makes the class Sendable. It never runs on the Raft queue: however long an operation takes,
/// Raft's ticks, fetches and votes go on meanwhile. `image` is the committed image plus this controller's own proposed records, so
/// that a second request sees the first one's effect before it commits (Kafka's controller
/// does the same); when leadership is lost it falls back to the committed image.
final class Controller: @unchecked Sendable {
    let nodeID: Int32
    let settings: ControllerSettings
    let logger: Logger
    private(set) var isActive = false
    /// The Raft epoch this controller is active in.
    private(set) var epoch: Int32 = -1
    var image = MetadataImage()
    private(set) var committed = MetadataImage()
    private var waiters: [Int64: Waiter] = [:]
    /// Lease deadlines (driver ms) of registered brokers; only the active controller keeps them.
    var leases: [Int32: Int64] = [:]
    /// Heartbeats as they arrive (any thread): a lease also lasts a session past the latest one.
    let heartbeats = BrokerHeartbeatTracker()
    var nextRebalanceCheckMs: Int64 = 0
    /// Confirms that a broker whose heartbeat connection closed is gone (nil: only the session
    /// timeout fences).
    let livenessProbe: BrokerLivenessProbe?

    private struct Waiter {
        var epoch: Int32
        var done: (ApiError?) -> Void
    }

    init(nodeID: Int32, settings: ControllerSettings, logger: Logger, livenessProbe: BrokerLivenessProbe? = nil) {
        self.nodeID = nodeID
        self.livenessProbe = livenessProbe
        self.settings = settings
        self.logger = logger
    }

    // MARK: Committing

    /// Proposes `records` and calls `done` once they are committed (nil) or lost (NOT_CONTROLLER).
    /// They go in batches of at most `settings.maxRecordsPerBatch` records (see
    /// ``MetadataBatches``): an `atomic` operation that needs several is written as a metadata
    /// transaction named `name`, so that it still takes effect at once. An empty list completes at
    /// once. Not active: NOT_CONTROLLER.
    func commit(_ records: [MetadataRecord], driver: RaftDriver, atomic: Bool = true, name: String = "controller operation",
                done: @escaping (ApiError?) -> Void) {
        guard isActive else { return done(Self.notController(driver)) }
        guard !records.isEmpty else { return done(nil) }
        let batches = MetadataBatches.split(records, atomic: atomic, name: name, maxRecordsPerBatch: settings.maxRecordsPerBatch)
        let positions: [OffsetAndEpoch]
        do {
            positions = try driver.propose(batches.map(MetadataRecordCodec.encode), epoch: epoch)
        } catch {
            return done(Self.notController(driver))
        }
        for record in records {
            if let problem = image.apply(record) { logger.warning("controller: own record does not apply: \(problem)") }
        }
        guard let last = positions.last else { return done(nil) }
        if batches.count > 1 { logger.info("\(name): \(records.count) records in \(batches.count) batches") }
        image.offset = last.offset + 1
        waiters[last.offset] = Waiter(epoch: last.epoch, done: done)
    }

    /// The metadata-log offset of the next batch this controller proposes (a broker's epoch is the
    /// offset of its registration).
    var nextOffset: Int64 { image.offset }

    static func notController(_ driver: RaftDriver) -> ApiError {
        let leader = driver.leader.leaderID.map { "node \($0)" } ?? "unknown"
        return ApiError(.notController, "This node is not the active controller (the controller is \(leader)).")
    }

    // MARK: From the metadata log

    /// Committed entries were applied to `committedImage` (called for every batch, in order).
    /// `openTransaction`: the log ends inside a transaction that has not ended (its controller
    /// lost the leadership half-way); a new active controller aborts it.
    func didApply(_ entries: [LogEntry], committedImage: MetadataImage, openTransaction: Bool, driver: RaftDriver) {
        committed = committedImage
        for entry in entries {
            if let waiter = waiters.removeValue(forKey: entry.offset) {
                waiter.done(waiter.epoch == entry.epoch ? nil : Self.notController(driver))
            }
            // Still the leader of that epoch (the Raft queue may have moved on since: a later
            // `leaderChanged` then deactivates).
            if case .leaderChange(let change) = entry.payload, change.leaderID == nodeID,
               driver.isLeader(epoch: entry.epoch), !isActive {
                activate(epoch: entry.epoch, abortingTransaction: openTransaction, driver: driver)
            }
        }
        if !isActive { image = committedImage }
    }

    func didRestore(committedImage: MetadataImage) {
        committed = committedImage
        if !isActive { image = committedImage }
    }

    func leaderChanged(_ leader: LeaderAndEpoch, driver: RaftDriver) {
        if isActive && (leader.leaderID != nodeID || leader.epoch != epoch) {
            deactivate(driver: driver)
        }
    }

    /// This node's `LeaderChange` record committed: everything before it is applied, so the
    /// committed image is the whole truth and the controller can act.
    private func activate(epoch: Int32, abortingTransaction: Bool, driver: RaftDriver) {
        isActive = true
        self.epoch = epoch
        image = committed
        let now = driver.nowMs
        leases = Dictionary(uniqueKeysWithValues: image.brokers.keys.map { ($0, now + settings.sessionTimeoutMs) })
        nextRebalanceCheckMs = now + settings.leaderImbalanceCheckIntervalMs
        logger.info("node \(nodeID) is the active controller (epoch \(epoch), metadata offset \(committed.offset))")
        if abortingTransaction {
            // As Kafka's ActivationRecordsGenerator: the previous controller's unfinished
            // transaction never takes effect (its requester got NOT_CONTROLLER and retries).
            logger.warning("aborting the metadata transaction the previous controller left open")
            commit([.abortTransaction(reason: "the controller that began it lost the leadership")], driver: driver) { _ in }
        }
        if image.clusterId == nil { bootstrapCluster(driver: driver) }
        probeBrokersOnActivation(driver: driver)
    }

    private func deactivate(driver: RaftDriver) {
        logger.info("node \(nodeID) is no longer the active controller")
        isActive = false
        image = committed
        leases.removeAll()
        let lost = waiters
        waiters.removeAll()
        for waiter in lost.values { waiter.done(Self.notController(driver)) }
    }

    /// A new quorum gets its cluster id; a single node that ran before the metadata quorum
    /// existed imports its `sluice-metadata.json` (see ``LegacyMetadataImport``).
    private func bootstrapCluster(driver: RaftDriver) {
        var records: [MetadataRecord]
        do {
            records = try LegacyMetadataImport.records(settings: settings, nodeID: nodeID, logger: logger)
                ?? [.clusterId(settings.clusterId ?? KafkaUUID.random().base64)]
        } catch {
            logger.critical("\(error)")
            records = []
            return
        }
        commit(records, driver: driver) { [logger, settings] error in
            if let error {
                logger.warning("writing the cluster id failed: \(error); the next controller retries")
            } else {
                LegacyMetadataImport.markImported(settings: settings, logger: logger)
            }
        }
    }

    // MARK: Timers

    func tick(nowMs: Int64, driver: RaftDriver) {
        guard isActive else { return }
        fenceExpiredBrokers(nowMs: nowMs, driver: driver)
        if nowMs >= nextRebalanceCheckMs {
            nextRebalanceCheckMs = nowMs + settings.leaderImbalanceCheckIntervalMs
            if settings.autoLeaderRebalanceEnable { rebalancePreferredLeaders(driver: driver) }
        }
    }
}
