import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceRaft

/// What the controller listener's handlers share: the quorum driver, the controller logic and
/// this node's metadata view.
struct ControllerServices: Sendable {
    let nodeID: Int32
    let driver: RaftDriver
    let controller: Controller
    let view: MetadataView
    /// The voters' controller listeners (for DescribeQuorum's node list).
    let voters: [Int32: BrokerAddress]

    /// Runs `body` on the driver's application queue (where the controller lives) and completes on the request's
    /// event loop with what `body` hands to its callback.
    func onController<T: Sendable>(_ context: RequestContext,
                                   _ body: @escaping @Sendable (Controller, RaftDriver, @escaping (T) -> Void) -> Void)
        -> EventLoopFuture<T> {
        let promise = context.eventLoop.makePromise(of: T.self)
        let controller = self.controller
        driver.submit({ driver in
            body(controller, driver) { promise.succeed($0) }
        }, ifStopped: {
            promise.fail(PeerConnectionError("the quorum driver is stopped"))
        })
        return promise.futureResult
    }
}
