import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase

/// This broker's membership: it registers with the active controller once the metadata log
/// has a cluster id, heartbeats every `broker.heartbeat.interval.ms` with its metadata offset
/// (the controller unfences it once it has caught up), registers again if the controller no
/// longer knows its epoch, and on shutdown asks for a controlled shutdown so that its
/// leaderships move before it stops.
///
/// It also keeps its own view of its **lease**: the controller fences a broker whose heartbeats
/// stop arriving for `broker.session.timeout.ms`, and a broker cut off from the controller
/// cannot learn that it was fenced. So the broker counts the session from when it *sent* the
/// last heartbeat the controller answered unfenced (the controller counts from the arrival, never
/// earlier): once that much monotonic time has passed, the controller has fenced it or is about
/// to, and ``holdsLease`` is false until a heartbeat is answered again. The partition layer uses
/// it to stop posing as a leader that clients cannot leave (see `BrokerServices.cutOffLeaderError`).
final class BrokerLifecycle: Sendable {
    private struct State {
        var epoch: Int64 = -1
        var fenced = true
        var stopping = false
        /// Whether `unfenced` has been completed (it must be, exactly once).
        var readyCompleted = false
        /// Whether this broker's image has reached its own registration since it started.
        var caughtUp = false
        /// When the lease of the last heartbeat answered unfenced runs out (monotonic).
        var leaseEnd: NIODeadline?
        /// The lease ran out and no heartbeat has been answered since.
        var leaseLost = false
    }

    private let config: BrokerConfig
    private let view: MetadataView
    private let channel: ControllerClient
    private let loop: any EventLoop
    private let logger: Logger
    private let incarnation = KafkaUUID.random()
    private let state = NIOLockedValueBox(State())
    private let unfenced: EventLoopPromise<Void>
    /// Called once the broker's registration is in its own image (the publisher starts then).
    private let onCaughtUp: @Sendable () -> Void

    init(config: BrokerConfig, view: MetadataView, channel: ControllerClient, loop: any EventLoop, logger: Logger,
         onCaughtUp: @escaping @Sendable () -> Void) {
        self.config = config
        self.view = view
        self.channel = channel
        self.loop = loop
        self.logger = logger
        self.unfenced = loop.makePromise(of: Void.self)
        self.onCaughtUp = onCaughtUp
    }

    /// The epoch of this broker's registration (-1 before it is registered).
    var brokerEpoch: Int64 { state.withLockedValue { $0.epoch } }

    /// Whether this broker's metadata image has caught up with the log since it started (its own
    /// registration is in it, or the controller has unfenced it). Before that its image may be
    /// empty or stale, so it must not answer Metadata (Kafka does not even listen until then).
    var hasCaughtUp: Bool { state.withLockedValue { $0.caughtUp || $0.readyCompleted } }

    /// Whether the controller's last heartbeat answer fenced this broker (true until the first
    /// unfencing answer).
    var isFenced: Bool { state.withLockedValue { $0.fenced } }

    /// False once `broker.session.timeout.ms` has passed since the last heartbeat the controller
    /// answered (unfenced) was sent, until one is answered again: the controller has fenced this
    /// broker by then, or is about to. True before the first answer.
    var holdsLease: Bool { !state.withLockedValue { $0.leaseLost } }

    /// Completes when the controller has unfenced this broker (it may lead partitions).
    var ready: EventLoopFuture<Void> { unfenced.futureResult }

    func start(advertised: BrokerAddress) {
        loop.execute { [self] in register(advertised: advertised) }
    }

    private func register(advertised: BrokerAddress) {
        guard !state.withLockedValue({ $0.stopping }) else { return }
        guard let clusterId = view.image.clusterId else {
            loop.scheduleTask(in: .milliseconds(20)) { [self] in register(advertised: advertised) }
            return
        }
        var request = BrokerRegistrationRequest()
        request.brokerId = config.nodeId
        request.clusterId = clusterId
        request.incarnationId = incarnation
        request.listeners = [.init(name: config.listenerName, host: advertised.host, port: UInt16(clamping: advertised.port),
                                   securityProtocol: 0)]
        request.rack = config.rack
        channel.sendFuture(request, version: 2, timeoutMs: 5000, on: loop).whenComplete { [self] result in
            switch result {
            case .success(let response) where response.errorCode == 0:
                let epoch = response.brokerEpoch
                state.withLockedValue { $0.epoch = epoch }
                logger.info("registered with the controller: broker epoch \(epoch)")
                let id = config.nodeId
                view.wait(until: { $0.brokers[id]?.epoch == epoch }, timeout: .seconds(30), on: loop).whenSuccess { [self] found in
                    if found {
                        state.withLockedValue { $0.caughtUp = true }
                        onCaughtUp()
                    }
                    heartbeat(advertised: advertised)
                }
            case .success(let response):
                logger.warning("registration refused: \(ErrorCode(response.errorCode)); retrying")
                loop.scheduleTask(in: .milliseconds(500)) { [self] in register(advertised: advertised) }
            case .failure(let error):
                logger.info("registration not answered (\(error)); retrying")
                loop.scheduleTask(in: .milliseconds(100)) { [self] in register(advertised: advertised) }
            }
        }
    }

    private func heartbeat(advertised: BrokerAddress) {
        let (epoch, stopping) = state.withLockedValue { ($0.epoch, $0.stopping) }
        guard !stopping else { return }
        var request = BrokerHeartbeatRequest()
        request.brokerId = config.nodeId
        request.brokerEpoch = epoch
        request.currentMetadataOffset = view.image.offset
        let sent = NIODeadline.now()
        let interval = TimeAmount.milliseconds(config.cluster.brokerHeartbeatIntervalMs)
        channel.sendFuture(request, version: 1, timeoutMs: max(1000, config.cluster.brokerHeartbeatIntervalMs), on: loop)
            .whenComplete { [self] result in
                switch result {
                case .success(let response) where response.errorCode == ErrorCode.staleBrokerEpoch.rawValue:
                    logger.warning("the controller no longer knows broker epoch \(epoch): registering again")
                    register(advertised: advertised)
                    return
                case .success(let response) where response.errorCode == 0:
                    let wasFenced = state.withLockedValue { state in
                        defer { state.fenced = response.isFenced }
                        return state.fenced
                    }
                    if !response.isFenced { renewLease(sentAt: sent) }
                    if wasFenced && !response.isFenced {
                        logger.info("unfenced by the controller")
                        if completeReady() { unfenced.succeed(()) }
                    } else if !wasFenced && response.isFenced {
                        logger.warning("fenced by the controller")
                    }
                    // A fenced broker that has caught up asks again soon rather than a full interval later.
                    let next = response.isFenced ? TimeAmount.milliseconds(min(50, config.cluster.brokerHeartbeatIntervalMs)) : interval
                    loop.scheduleTask(in: next) { [self] in heartbeat(advertised: advertised) }
                    return
                case .success(let response):
                    logger.debug("heartbeat answered \(ErrorCode(response.errorCode))")
                case .failure(let error):
                    logger.debug("heartbeat failed: \(error)")
                }
                loop.scheduleTask(in: .milliseconds(min(200, config.cluster.brokerHeartbeatIntervalMs))) { [self] in
                    heartbeat(advertised: advertised)
                }
            }
    }

    /// A heartbeat sent at `sentAt` was answered unfenced: the lease runs until `sentAt` plus the
    /// session timeout, and is checked then.
    private func renewLease(sentAt: NIODeadline) {
        let end = sentAt + .milliseconds(config.cluster.brokerSessionTimeoutMs)
        let regained = state.withLockedValue { state -> Bool in
            if state.leaseEnd.map({ $0 < end }) ?? true { state.leaseEnd = end }
            defer { state.leaseLost = false }
            return state.leaseLost
        }
        if regained { logger.warning("the controller answers heartbeats again: serving as the metadata says") }
        loop.scheduleTask(deadline: end) { [self] in checkLease() }
    }

    /// Marks the lease lost when its end has passed with no newer answer.
    private func checkLease() {
        let lost = state.withLockedValue { state -> Bool in
            guard !state.leaseLost, !state.stopping, let end = state.leaseEnd, end <= .now() else { return false }
            state.leaseLost = true
            return true
        }
        if lost {
            logger.warning("""
                no heartbeat answered for \(config.cluster.brokerSessionTimeoutMs) ms (broker.session.timeout.ms): \
                the controller has fenced this broker or is about to; partitions whose followers stopped \
                fetching from it are no longer served as their leader
                """)
        }
    }

    /// True the first time only: whoever gets true completes `unfenced`.
    private func completeReady() -> Bool {
        state.withLockedValue { state in
            defer { state.readyCompleted = true }
            return !state.readyCompleted
        }
    }

    /// How long a controlled shutdown waits without any controller answering: with the quorum
    /// lost nobody can confirm it (an election with pre-vote takes well under this).
    static let noControllerGrace: TimeAmount = .milliseconds(750)

    /// Controlled shutdown: asks the controller to move this broker's leaderships and waits
    /// (up to `timeout`) until it says the broker may stop. It stops sooner, without that
    /// confirmation, when no controller has answered for ``noControllerGrace`` (none known, or
    /// the one known is dead; at once when none has been known for that long already), or when
    /// this node is the controller and has not confirmed it within that time (a leader that lost
    /// its quorum still calls itself controller until its check-quorum timeout, seconds later).
    func shutdown(timeout: TimeAmount) async {
        let (epoch, wasStopping) = state.withLockedValue { state -> (Int64, Bool) in
            defer { state.stopping = true }
            return (state.epoch, state.stopping)
        }
        guard !wasStopping else { return }
        if completeReady() { unfenced.fail(PeerConnectionError("shutting down")) }
        guard epoch >= 0 else { return }
        let grace = Self.noControllerGrace
        let graceText = "\(grace.nanoseconds / 1_000_000) ms"
        let started = NIODeadline.now()
        let deadline = started + timeout
        // When a controller last answered (as if one had just now, unless none has been known for long).
        var lastAnswer = view.controllerUnknownSince.map { min($0, started) } ?? started
        while NIODeadline.now() < deadline {
            if NIODeadline.now() - lastAnswer >= grace {
                logger.warning("controlled shutdown: no controller answered for \(graceText) (no metadata quorum); stopping without it")
                return
            }
            if view.controllerId == config.nodeId, NIODeadline.now() - started >= grace {
                logger.warning("controlled shutdown: not confirmed within \(graceText) by this node's own controller (no metadata quorum?); stopping without it")
                return
            }
            var request = BrokerHeartbeatRequest()
            request.brokerId = config.nodeId
            request.brokerEpoch = epoch
            request.currentMetadataOffset = view.image.offset
            request.wantShutDown = true
            // No attempt outlasts the grace, so that a controller lost meanwhile is noticed above.
            let remaining = min(grace.nanoseconds / 1_000_000, max(100, Int64((deadline - .now()).nanoseconds / 1_000_000)))
            if let response = try? await channel.sendFuture(request, version: 1, timeoutMs: remaining, on: loop).get(),
               response.errorCode == 0 {
                if response.shouldShutDown {
                    logger.info("controlled shutdown: the controller moved this broker's leaderships")
                    return
                }
                lastAnswer = .now()
            }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        logger.warning("controlled shutdown not confirmed within \(timeout); stopping anyway")
    }
}
