import ArgumentParser
import KafkaProtocol
import SluiceClient

/// The exit codes of the client commands (`topic`, `produce`, `consume`, `group`, `cluster
/// describe`, `bench`). Scripts can rely on them:
///
/// | code | meaning |
/// |---|---|
/// | 0 | success (also: `consume` stopped with Ctrl-C) |
/// | 1 | the cluster answered with a Kafka error (the message names it, e.g. `UNKNOWN_TOPIC_OR_PARTITION (3)`) |
/// | 2 | the cluster could not be reached, or did not answer in time |
/// | 3 | the broker does not support the request (no common API version) |
/// | 4 | the cluster sent an answer that could not be decoded |
/// | 64 | bad usage: unknown flag, missing or malformed argument |
/// | 65 | bad input data: e.g. a `produce` line without the key separator, or a malformed header |
/// | 130 | interrupted (Ctrl-C) before `produce` or `bench` finished |
enum CommandExitCode {
    static let clusterError: Int32 = 1
    static let unreachable: Int32 = 2
    static let unsupported: Int32 = 3
    static let badResponse: Int32 = 4
    static let usage: Int32 = 64
    static let badInput: Int32 = 65
    static let interrupted: Int32 = 130

    static func code(for error: KafkaClientError) -> Int32 {
        switch error.kind {
        case .broker: return clusterError
        case .connection, .timeout: return unreachable
        case .unsupportedVersion: return unsupported
        case .protocolViolation: return badResponse
        case .invalidArgument: return usage
        case .closed: return clusterError
        }
    }
}

/// A failure a command reports itself (bad input, or a condition with its own exit code).
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32

    init(_ message: String, exitCode: Int32 = CommandExitCode.clusterError) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}

/// Turns a client error into one line that names the Kafka error and what to do about it, e.g.
/// `UNKNOWN_TOPIC_OR_PARTITION (3): topic 'x' does not exist — create it with `sluice topic create x``.
enum ErrorAdvice {
    static func message(for error: KafkaClientError, bootstrap: String, source: BootstrapLookup.Source) -> String {
        let resource = error.resource ?? ""
        let topic = quoted(after: "topic '", in: resource)
        let group = quoted(after: "group '", in: resource)
        switch error.kind {
        case let .broker(code):
            let head = "\(code.name) (\(code.rawValue))"
            switch code {
            case .unknownTopicOrPartition:
                if let topic, resource.hasPrefix("topic") {
                    return "\(head): topic '\(topic)' does not exist — create it with `sluice topic create \(topic)`"
                }
                if resource.hasPrefix("partition") {
                    return "\(head): \(resource) does not exist\(error.detail.isEmpty ? "" : " (\(error.detail))") — see the partitions with `sluice topic describe`"
                }
            case .topicAlreadyExists:
                if let topic { return "\(head): topic '\(topic)' already exists — see it with `sluice topic describe \(topic)`" }
            case .invalidReplicationFactor:
                return "\(head): \(resource): \(error.detail) — the replication factor cannot exceed the number of brokers (`sluice cluster describe`)"
            case .invalidPartitions:
                return "\(head): \(resource): \(error.detail) — a topic needs at least one partition, and partitions can only be added"
            case .invalidConfig:
                return "\(head): \(resource): \(error.detail) — check the config's name and value (`sluice topic describe <topic> --configs` lists them)"
            case .groupIdNotFound:
                if let group { return "\(head): group '\(group)' does not exist — list the groups with `sluice group list`" }
            case .nonEmptyGroup, .unknownMemberId, .rebalanceInProgress:
                if let group {
                    return "\(head): group '\(group)' has active members — stop its consumers first, then try again"
                }
            case .messageTooLarge, .recordListTooLarge:
                return "\(head): \(resource): \(error.detail) — send smaller records, or raise the topic's max.message.bytes"
            case .offsetOutOfRange:
                return "\(head): \(resource): \(error.detail) — `sluice topic describe` shows each partition's offset range"
            case .topicAuthorizationFailed, .groupAuthorizationFailed, .clusterAuthorizationFailed:
                return "\(head): \(resource): \(error.detail) — the cluster refused this client: check its ACLs"
            case .notEnoughReplicas, .notEnoughReplicasAfterAppend:
                return "\(head): \(resource): \(error.detail) — too few in-sync replicas for acks=all; check the brokers (`sluice cluster describe`)"
            case .unsupportedCompressionType:
                return "\(head): \(resource): the broker does not accept this compression codec — try another --compression"
            default:
                break
            }
            return error.description
        case .connection:
            return "could not reach the cluster at \(bootstrap) (from \(source)): \(error.detail) — is a broker running there? "
                + "Start a local cluster with `sluice cluster up`, or pass --bootstrap host:port"
        case .timeout:
            return "timed out talking to the cluster at \(bootstrap): \(error.detail) — the brokers may be overloaded or down; "
                + "raise --timeout or check them with `sluice cluster describe`"
        case let .unsupportedVersion(api):
            let groupAPIs: [ApiKey] = [.findCoordinator, .joinGroup, .syncGroup, .heartbeat, .leaveGroup, .offsetCommit,
                                       .offsetFetch, .listGroups, .describeGroups, .deleteGroups]
            if groupAPIs.contains(api) {
                return "\(error.description) — this broker has no consumer-group support; read without --group, or use a broker that has it"
            }
            return "\(error.description) — this broker cannot do that"
        default:
            return error.description
        }
    }

    private static func quoted(after prefix: String, in text: String) -> String? {
        guard let start = text.range(of: prefix) else { return nil }
        let rest = text[start.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<end])
    }
}
