import KafkaProtocol
import SluiceSecurity

/// AlterUserScramCredentials on the active controller, validated as Kafka's
/// `ScramControlManager`: one result per user; a user named twice for the same mechanism gets
/// DUPLICATE_RESOURCE, an empty name or an iteration count outside 4096-16384
/// UNACCEPTABLE_CREDENTIAL, an unknown mechanism UNSUPPORTED_SASL_MECHANISM, the deletion of a
/// credential that does not exist RESOURCE_NOT_FOUND. The accepted changes commit as one batch of
/// `UserScramCredential` / `RemoveUserScramCredential` records; the server computes the stored and
/// server keys from the salted password the client sent (the password itself never travels).
extension Controller {
    struct ScramAlteration: Sendable {
        var name: String
        var mechanism: Int8
        /// Nil for a deletion.
        var upsert: (iterations: Int32, salt: [UInt8], saltedPassword: [UInt8])?
    }

    func alterScramCredentials(_ alterations: [ScramAlteration], driver: RaftDriver,
                               done: @escaping ([(user: String, error: ApiError?)]) -> Void) {
        var order: [String] = []
        var errors: [String: ApiError] = [:]
        var seen: Set<String> = []
        var records: [String: [MetadataRecord]] = [:]
        for alteration in alterations {
            let user = alteration.name
            if !order.contains(user) { order.append(user) }
            guard errors[user] == nil else { continue }
            let key = "\(user)\u{0}\(alteration.mechanism)"
            guard seen.insert(key).inserted else {
                errors[user] = ApiError(.duplicateResource, "A user credential cannot be altered twice in the same request")
                continue
            }
            guard !user.isEmpty else {
                errors[user] = ApiError(.unacceptableCredential, "Username must not be empty")
                continue
            }
            guard let mechanism = ScramMechanism(wireType: alteration.mechanism) else {
                errors[user] = ApiError(.unsupportedSaslMechanism, "Unknown SCRAM mechanism")
                continue
            }
            if let upsert = alteration.upsert {
                guard upsert.iterations >= ScramMechanism.iterationRange.lowerBound else {
                    errors[user] = ApiError(.unacceptableCredential, "Too few iterations")
                    continue
                }
                guard upsert.iterations <= ScramMechanism.iterationRange.upperBound else {
                    errors[user] = ApiError(.unacceptableCredential, "Too many iterations")
                    continue
                }
                guard !upsert.salt.isEmpty, upsert.saltedPassword.count == mechanism.hashLength else {
                    errors[user] = ApiError(.unacceptableCredential, "The salt must not be empty and the salted password must be a \(mechanism.rawValue) hash")
                    continue
                }
                let credential = mechanism.credential(saltedPassword: upsert.saltedPassword, salt: upsert.salt, iterations: upsert.iterations)
                records[user, default: []].append(.userScramCredential(name: user, mechanism: mechanism, credential: credential))
            } else {
                guard image.scramCredentials[user]?[mechanism] != nil else {
                    errors[user] = ApiError(.resourceNotFound, "Attempt to delete a user credential that does not exist")
                    continue
                }
                records[user, default: []].append(.removeUserScramCredential(name: user, mechanism: mechanism))
            }
        }
        let accepted = order.filter { errors[$0] == nil }
        let batch = accepted.flatMap { records[$0] ?? [] }
        commit(batch, driver: driver) { error in
            done(order.map { user in (user, errors[user] ?? (accepted.contains(user) ? error : nil)) })
        }
    }
}
