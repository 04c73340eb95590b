import ArgumentParser
import Foundation
import KafkaProtocol
import SluiceClient
import SluiceConsole
import SluiceLocalCluster

/// `sluice cluster add-broker`: one more broker (a new id, metadata observer) in the local cluster.
struct ClusterAddBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-broker",
        abstract: "Start a broker with a new id in the running local cluster.",
        discussion: "It registers with the controller and receives replicas of new topics and of reassignments.")

    @Option(name: .long, help: "The cluster's directory (default: the client commands' data directory).") var dataDir: String?
    @Option(name: .long, help: "Its broker.rack.") var rack: String?
    @Option(name: .long, help: "Seconds to wait for it.") var timeout: Double = 60

    func run() async throws {
        let cluster = LocalCluster(directory: dataDir ?? BootstrapLookup.defaultDataDirectory())
        guard var state = cluster.load() else { throw ValidationError("no cluster in \(cluster.directory)") }
        var member = try LocalCluster.newBroker(in: state, rack: rack)
        let id = member.id
        state.members.append(member)
        try cluster.writeProperties(member, in: state)
        member.pid = try cluster.spawn(id)
        state.members[state.members.count - 1] = member
        try cluster.save(state)
        let running = state.members.filter { $0.id == id || cluster.runningPid($0.id) != nil }.count
        try await ClusterUpCommand.waitUntilServing([member], expected: running, timeout: timeout, cluster: cluster,
                                                    security: try state.security.map { try SecureClusterSetup.adminSecurity($0, tls: cluster.tlsFiles) })
        print("broker \(id) (pid \(member.pid)) serving on 127.0.0.1:\(member.port)")
    }
}

/// `sluice cluster reassign`: moves one partition's replicas (AlterPartitionReassignments).
struct ClusterReassignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reassign",
        abstract: "Move a partition's replicas to other brokers.",
        discussion: """
            The new replicas copy the partition from its leader; once they are in sync the old ones are \
            removed. --wait returns when that is done.
            """)

    @OptionGroup var client: ClientOptions
    @Option(name: .long, help: "The topic.") var topic: String
    @Option(name: .long, help: "The partition.") var partition: Int32
    @Option(name: .long, help: "The target replicas, preferred leader first: 1,2,4.") var replicas: String
    @Flag(name: .long, help: "Wait until the reassignment completes.") var wait = false

    func run() async throws {
        let target = replicas.split(separator: ",").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        guard !target.isEmpty else { throw ValidationError("--replicas must list broker ids") }
        let (topic, partition, wait, timeout) = (self.topic, self.partition, self.wait, client.timeout)
        try await client.run { client in
            try await Reassignments.start([(topic, partition, target)], client: client)
            if wait { try await Reassignments.waitUntilDone([(topic, partition)], client: client, timeout: timeout) }
        }
        print(wait ? "\(topic)-\(partition) now on \(target)" : "reassignment of \(topic)-\(partition) to \(target) started")
    }
}

/// `sluice cluster decommission`: moves every replica off a broker, stops it (when it belongs
/// to the local cluster) and unregisters it.
struct ClusterDecommissionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decommission",
        abstract: "Move all replicas off a broker, then remove it from the cluster.",
        discussion: """
            Each partition with a replica on the broker is reassigned to the least loaded other broker; \
            once the new replicas are in sync, the broker is stopped (a controlled shutdown, when it is a \
            process of the local cluster) and unregistered (UnregisterBroker). Metadata voters cannot be \
            decommissioned (the voter set is static).
            """)

    @OptionGroup var client: ClientOptions
    @Option(name: .long, help: "The broker to remove.") var broker: Int32
    @Option(name: .long, help: "The local cluster's directory, to stop the broker's process.") var dataDir: String?

    func run() async throws {
        let cluster = LocalCluster(directory: dataDir ?? BootstrapLookup.defaultDataDirectory())
        var state = cluster.load()
        let (broker, timeout) = (self.broker, client.timeout)
        if let member = state?.members.first(where: { $0.id == broker }), member.controllerPort != nil {
            throw ValidationError("broker \(broker) is a metadata voter; voters cannot be decommissioned")
        }
        let moved = try await client.run { client -> Int in
            let metadata = try await Self.freshestMetadata(client)
            var load: [Int32: Int] = Dictionary(uniqueKeysWithValues: metadata.brokers.map(\.nodeId).filter { $0 != broker }.map { ($0, 0) })
            for topic in metadata.topics { for p in topic.partitions { for r in p.replicaNodes where load[r] != nil { load[r]! += 1 } } }
            var moves: [(String, Int32, [Int32])] = []
            for topic in metadata.topics.sorted(by: { ($0.name ?? "") < ($1.name ?? "") }) {
                guard let name = topic.name else { continue }
                for p in topic.partitions where p.replicaNodes.contains(broker) {
                    guard let replacement = load.filter({ !p.replicaNodes.contains($0.key) }).min(by: { ($0.value, $0.key) < ($1.value, $1.key) })?.key else {
                        throw CommandFailure("no broker can take \(name)-\(p.partitionIndex)'s replica from broker \(broker)",
                                             exitCode: 1)
                    }
                    load[replacement]! += 1
                    moves.append((name, p.partitionIndex, p.replicaNodes.map { $0 == broker ? replacement : $0 }))
                }
            }
            if !moves.isEmpty {
                try await Reassignments.start(moves, client: client)
                try await Reassignments.waitUntilDone(moves.map { ($0.0, $0.1) }, client: client, timeout: max(timeout, 120))
            }
            return moves.count
        }
        print("moved \(moved) replica(s) off broker \(broker)")
        if let index = state?.members.firstIndex(where: { $0.id == broker }), let member = state?.members[index] {
            let stopped = cluster.stopBroker(member.id, grace: 30)
            state!.members.remove(at: index)
            try cluster.save(state!)
            print("stopped broker \(broker)" + (stopped.map { " (pid \($0.pid))" } ?? " (it was not running)"))
        }
        try await client.run { client in
            let response = try await client.anyConnection().send(UnregisterBrokerRequest(brokerId: broker), version: 0)
            if response.errorCode != 0 {
                throw CommandFailure("unregistering broker \(broker): \(ErrorCode(response.errorCode))"
                                     + (response.errorMessage.map { ": \($0)" } ?? ""), exitCode: 1)
            }
        }
        print("broker \(broker) unregistered")
    }

    /// The replica sets as the active controller's broker sees them: another broker's image may
    /// lag by a metadata fetch and still show a reassignment that has completed, and moves
    /// computed from it would add replicas instead of replacing one.
    static func freshestMetadata(_ client: KafkaClient) async throws -> MetadataResponse {
        var request = MetadataRequest()
        request.topics = nil
        request.allowAutoTopicCreation = false
        let any = try await client.anyConnection().send(request, version: 12)
        guard any.controllerId >= 0, let controller = try? await client.connection(toNode: any.controllerId),
              let fresh = try? await controller.send(request, version: 12) else { return any }
        return fresh
    }
}

/// AlterPartitionReassignments and waiting on ListPartitionReassignments.
enum Reassignments {
    static func start(_ moves: [(topic: String, partition: Int32, replicas: [Int32])], client: KafkaClient) async throws {
        var request = AlterPartitionReassignmentsRequest()
        request.timeoutMs = 30_000
        let byTopic = Dictionary(grouping: moves, by: \.topic)
        request.topics = byTopic.keys.sorted().map { name in
            .init(name: name, partitions: byTopic[name]!.map { .init(partitionIndex: $0.partition, replicas: $0.replicas) })
        }
        let response = try await client.anyConnection().send(request, version: 0)
        if response.errorCode != 0 {
            throw CommandFailure("reassignment refused: \(ErrorCode(response.errorCode))", exitCode: 1)
        }
        for topic in response.responses {
            for p in topic.partitions where p.errorCode != 0 {
                throw CommandFailure("\(topic.name)-\(p.partitionIndex): \(ErrorCode(p.errorCode))"
                                     + (p.errorMessage.map { ": \($0)" } ?? ""), exitCode: 1)
            }
        }
    }

    static func waitUntilDone(_ partitions: [(String, Int32)], client: KafkaClient, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        let wanted = Set(partitions.map { "\($0.0)-\($0.1)" })
        while true {
            var request = ListPartitionReassignmentsRequest()
            request.topics = nil
            let response = try await client.anyConnection().send(request, version: 0)
            let ongoing = Set(response.topics.flatMap { t in t.partitions.map { "\(t.name)-\($0.partitionIndex)" } })
            if response.errorCode == 0 && ongoing.isDisjoint(with: wanted) { return }
            guard Date() < deadline else {
                throw CommandFailure("reassignments still running after \(Int(timeout)) s: "
                                     + ongoing.intersection(wanted).sorted().joined(separator: ", "), exitCode: 1)
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
    }
}
