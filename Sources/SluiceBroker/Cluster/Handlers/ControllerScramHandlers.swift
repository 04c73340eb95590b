import KafkaProtocol
import NIOCore

/// AlterUserScramCredentials (51) on the controller listener, version 0 (brokers forward it
/// here): see ``Controller/alterScramCredentials(_:driver:done:)``. Answered once committed;
/// NOT_CONTROLLER for every user on a node that is not the active controller.
struct ControllerAlterUserScramCredentialsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...0
    let services: ControllerServices

    func handle(_ request: AlterUserScramCredentialsRequest, context: RequestContext)
        -> EventLoopFuture<HandlerReply<AlterUserScramCredentialsResponse>> {
        let alterations = request.deletions.map { Controller.ScramAlteration(name: $0.name, mechanism: $0.mechanism, upsert: nil) }
            + request.upsertions.map {
                Controller.ScramAlteration(name: $0.name, mechanism: $0.mechanism,
                                           upsert: ($0.iterations, Array($0.salt.readableBytesView), Array($0.saltedPassword.readableBytesView)))
            }
        return services.onController(context) { controller, driver, done in
            controller.alterScramCredentials(alterations, driver: driver) { results in
                var response = AlterUserScramCredentialsResponse()
                response.results = results.map { result in
                    .init(user: result.user, errorCode: result.error?.code.rawValue ?? 0, errorMessage: result.error?.message)
                }
                done(HandlerReply(response))
            }
        }
    }
}
