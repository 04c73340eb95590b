import NIOCore

/// How the Produce and Fetch handlers apply client quotas, as Kafka's `KafkaApis` does: a client
/// over its quota gets `throttle_time_ms` in its response and its connection muted for that long
/// (a produce from the moment it is dispatched, through ``ConnectionSession/requestMute(_:)``; a
/// fetch once it is answered, through ``HandlerReply/muteMs``). Clients of Produce v6+ and Fetch
/// v8+ (KIP-219) also back off themselves; older ones do not, so their response itself is held
/// back that long (a task scheduled on the event loop; nothing waits).
extension BrokerServices {
    /// Records `bytes` against the client's quota of `type`; the throttle time in ms (0: none).
    func recordQuota(_ type: ClientQuotaManager.QuotaType, bytes: Int, context: RequestContext) -> Int64 {
        let (throttleMs, tags) = quotas.record(type, bytes: bytes, user: context.principal.name,
                                               clientId: context.header.clientId ?? "", quotas: cluster.view.image.clientQuotas)
        if throttleMs > 0, let tags { metrics.throttled(type, tags: tags, ms: throttleMs) }
        return throttleMs
    }

    /// `reply` throttled for `throttleMs`: muted after writing when the client's version throttles
    /// itself (`clientThrottles`), else delivered `throttleMs` later.
    func throttled<R>(_ reply: HandlerReply<R>, throttleMs: Int64, clientThrottles: Bool,
                      context: RequestContext) -> EventLoopFuture<HandlerReply<R>> {
        guard throttleMs > 0 else { return context.eventLoop.makeSucceededFuture(reply) }
        if clientThrottles {
            var reply = reply
            reply.muteMs = throttleMs
            return context.eventLoop.makeSucceededFuture(reply)
        }
        return context.eventLoop.scheduleTask(in: .milliseconds(throttleMs)) { reply }.futureResult
    }
}
