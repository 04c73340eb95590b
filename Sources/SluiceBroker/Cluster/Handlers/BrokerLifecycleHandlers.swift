import KafkaProtocol
import NIOCore

// The controller's side of the broker lifecycle, on the controller listener. A node that is not
// the active controller answers NOT_CONTROLLER; the sender's `ControllerClient` then finds the
// right one.

/// BrokerRegistration (62), versions 0-4: fields used are broker id, cluster id, incarnation id,
/// listeners and rack (features, log dirs and the previous epoch are accepted and ignored).
struct BrokerRegistrationHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...4
    let services: ControllerServices

    func handle(_ request: BrokerRegistrationRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<BrokerRegistrationResponse>> {
        services.onController(context) { controller, driver, done in
            controller.register(request, driver: driver) { result in
                var response = BrokerRegistrationResponse()
                switch result {
                case .success(let epoch): response.brokerEpoch = epoch
                case .failure(let error): response.errorCode = error.code.rawValue
                }
                done(HandlerReply(response))
            }
        }
    }
}

/// BrokerHeartbeat (63), versions 0-1: lease renewal (counted from the request's arrival, see
/// `BrokerHeartbeatTracker`), fencing at once when the connection it came on closes and a probe
/// finds nothing listening at the broker's address (`Controller+Liveness`), unfencing once caught up (`current_metadata_offset` ≥ the broker
/// epoch), controlled shutdown (`want_shut_down`).
struct BrokerHeartbeatHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: ControllerServices

    func handle(_ request: BrokerHeartbeatRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<BrokerHeartbeatResponse>> {
        // Noted now, on the event loop: the lease counts from here even if the controller is busy.
        let (id, epoch) = (request.brokerId, request.brokerEpoch)
        let controller = services.controller
        let driver = services.driver
        controller.heartbeats.touch(id, epoch: epoch, nowMs: driver.nowMs)
        // A broker process that dies closes this connection: the controller then confirms with a
        // probe and fences it at once instead of waiting out the session (`Controller+Liveness`).
        if let closed = context.connectionClosed,
           controller.heartbeats.noteConnection(id, epoch: epoch, connection: ObjectIdentifier(closed)) {
            closed.whenComplete { _ in
                let closedAtMs = driver.nowMs
                driver.submit { driver in
                    controller.heartbeatConnectionClosed(id, epoch: epoch, closedAtMs: closedAtMs, driver: driver)
                }
            }
        }
        return services.onController(context) { controller, driver, done in
            controller.heartbeat(request, driver: driver) { done(HandlerReply($0)) }
        }
    }
}

/// AlterPartition (56), versions 0-3 (v2+ by topic id, v3 ISR members with broker epochs); see
/// `Controller+AlterPartition.swift` and the contract in `ControllerChannel.swift`.
struct AlterPartitionHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...3
    let services: ControllerServices

    func handle(_ request: AlterPartitionRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<AlterPartitionResponse>> {
        let version = context.apiVersion
        return services.onController(context) { controller, driver, done in
            controller.alterPartition(request, version: version, driver: driver) { done(HandlerReply($0)) }
        }
    }
}

/// UnregisterBroker (64), version 0: the broker leaves the cluster (decommission).
struct ControllerUnregisterBrokerHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...0
    let services: ControllerServices

    func handle(_ request: UnregisterBrokerRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<UnregisterBrokerResponse>> {
        services.onController(context) { controller, driver, done in
            controller.unregister(brokerId: request.brokerId, driver: driver) { error in
                var response = UnregisterBrokerResponse()
                response.errorCode = error?.code.rawValue ?? 0
                response.errorMessage = error?.message
                done(HandlerReply(response))
            }
        }
    }
}

/// AllocateProducerIds (67), version 0: a block of producer ids for a broker's InitProducerId.
struct AllocateProducerIdsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...0
    let services: ControllerServices

    func handle(_ request: AllocateProducerIdsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<AllocateProducerIdsResponse>> {
        services.onController(context) { controller, driver, done in
            controller.allocateProducerIds(brokerId: request.brokerId, brokerEpoch: request.brokerEpoch, driver: driver) { result in
                var response = AllocateProducerIdsResponse()
                switch result {
                case .success(let block):
                    response.producerIdStart = block.start
                    response.producerIdLen = block.length
                case .failure(let error):
                    response.errorCode = error.code.rawValue
                }
                done(HandlerReply(response))
            }
        }
    }
}
