import KafkaProtocol

/// Sends requests to the active controller, on its controller listener, following it when it
/// moves. Brokers use it for BrokerRegistration, BrokerHeartbeat and forwarded admin requests;
/// partition leaders use it for AlterPartition (API 56).
///
/// AlterPartition, as the controller checks it (`Controller+AlterPartition.swift`):
/// - send v2+ (topic ids) with `brokerId` = this node, `brokerEpoch` = ``ClusterNode/brokerEpoch``,
///   and per partition the `leaderEpoch` and `partitionEpoch` of the registration the leader
///   holds (from its latest ``LocalPartitionChange/becomeLeader(_:isNewLeader:)``), the new ISR
///   (`newIsrWithEpochs` with each member's broker epoch from the image in v3, `newIsr` before);
/// - answers per partition: NONE with the committed registration's ISR, leader epoch and
///   partition epoch; FENCED_LEADER_EPOCH (not the leader at that epoch), INVALID_UPDATE_VERSION
///   (stale partition epoch), INELIGIBLE_REPLICA (an ISR member is fenced, shutting down, not a
///   replica, or its broker epoch is stale), UNKNOWN_TOPIC_ID / UNKNOWN_TOPIC_OR_PARTITION;
///   top-level NOT_CONTROLLER or STALE_BROKER_EPOCH;
/// - on NONE the change is committed to the metadata log, so the leader is also told through
///   its listener (a `becomeLeader` with `isNewLeader` false and the new `partitionEpoch`).
public protocol ControllerChannel: Sendable {
    /// Sends `request` at `version` to the active controller and returns its response. A lost
    /// connection or a NOT_CONTROLLER answer makes it find the new controller and send again,
    /// until `timeoutMs` passes (then it throws).
    func send<R: KafkaRequest>(_ request: R, version: Int16, timeoutMs: Int64) async throws -> R.Response
}
