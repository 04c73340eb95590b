import ArgumentParser
import Foundation
import SluiceClient

/// `sluice quota describe|alter`: client quotas (KIP-546) through DescribeClientQuotas and
/// AlterClientQuotas, as `kafka-configs.sh --entity-type users|clients` manages them.
struct QuotaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota",
        abstract: "Manage client quotas (producer_byte_rate, consumer_byte_rate) per user and client id.",
        subcommands: [QuotaDescribeCommand.self, QuotaAlterCommand.self]
    )
}

/// The connection options of ``ClientOptions`` except its `--client-id` (the CLI's own client
/// id), which the quota commands use for the entity as kafka-configs users expect; the CLI then
/// connects as `sluice-cli`.
struct QuotaConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Brokers to start from, host:port[,host:port...] (default: as every client command).")
    var bootstrap: String?
    @Option(name: .long, help: "Seconds to wait for the cluster before giving up.") var timeout: Double = 30
    @Option(name: .customLong("command-config"), help: "A properties file with Kafka client settings (TLS, SASL).",
            completion: .file()) var commandConfig: String?

    /// The same settings as ``ClientOptions`` (which validates them and runs the client).
    func run<T: Sendable>(_ body: @escaping @Sendable (KafkaClient) async throws -> T) async throws -> T {
        var arguments = ["--timeout", String(timeout)]
        if let bootstrap { arguments += ["--bootstrap", bootstrap] }
        if let commandConfig { arguments += ["--command-config", commandConfig] }
        return try await ClientOptions.parse(arguments).run(body)
    }
}

/// The entity options: a user or the default user, a client id or the default client id.
struct QuotaEntityOptions: ParsableArguments {
    @Option(name: .long, help: "A user (the principal's name: alice for User:alice).") var user: String?
    @Flag(name: .customLong("user-default"), help: "The default for users without a quota of their own.") var userDefault = false
    @Option(name: .customLong("client-id"), help: "A client id.") var clientId: String?
    @Flag(name: .customLong("client-id-default"), help: "The default for client ids without a quota of their own.") var clientIdDefault = false

    /// The user part: nil when not given, .some(nil) for the default.
    var userPart: String?? {
        if let user { return .some(user) }
        return userDefault ? .some(nil) : .none
    }

    var clientIdPart: String?? {
        if let clientId { return .some(clientId) }
        return clientIdDefault ? .some(nil) : .none
    }

    func validate() throws {
        if user != nil && userDefault { throw ValidationError("give --user or --user-default, not both") }
        if clientId != nil && clientIdDefault { throw ValidationError("give --client-id or --client-id-default, not both") }
        if user?.isEmpty == true || clientId?.isEmpty == true {
            throw ValidationError("an entity name must not be empty (use --user-default / --client-id-default)")
        }
    }

    var isEmpty: Bool { userPart == nil && clientIdPart == nil }
}

struct QuotaDescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe", abstract: "Show client quotas (kafka-configs --describe --entity-type users/clients).",
        discussion: "Without options every quota is shown; with entity options, the quota of exactly that entity.")

    @OptionGroup var client: QuotaConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var entity: QuotaEntityOptions

    func run() async throws {
        var filter: [String: QuotaMatch] = [:]
        if case .some(let user) = entity.userPart { filter["user"] = user.map { .exact($0) } ?? .defaultName }
        if case .some(let clientId) = entity.clientIdPart { filter["client-id"] = clientId.map { .exact($0) } ?? .defaultName }
        let strict = !filter.isEmpty
        let found = try await client.run { [filter] client in
            try await KafkaAdmin(client: client).describeClientQuotas(filter, strict: strict)
        }
        if output.json {
            Console.printJSON(found.map { entry in
                ["entity": entry.entity.parts.mapValues { $0 ?? NSNull() as Any },
                 "quotas": entry.values] as [String: Any]
            })
            return
        }
        var table = TablePrinter(["ENTITY", "QUOTA", "VALUE"], alignments: [.left, .left, .right])
        for entry in found {
            for (key, value) in entry.values.sorted(by: { $0.key < $1.key }) {
                table.add([entry.entity.description, key, QuotaAlterCommand.format(value)])
            }
        }
        Console.print(table.isEmpty ? "no client quotas" : table.render())
    }
}

struct QuotaAlterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alter", abstract: "Set or remove client quotas (kafka-configs --alter --add-config/--delete-config).",
        discussion: "Example: sluice quota alter --client-id loader --add producer_byte_rate=1048576 --delete consumer_byte_rate")

    @OptionGroup var client: QuotaConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var entity: QuotaEntityOptions
    @Option(name: .long, help: "KEY=VALUE to set (producer_byte_rate, consumer_byte_rate, in bytes/s); repeatable or comma-separated.")
    var add: [String] = []
    @Option(name: .long, help: "A key to remove; repeatable or comma-separated.") var delete: [String] = []
    @Flag(name: .customLong("validate-only"), help: "Have the brokers check the change without making it.") var validateOnly = false

    /// The `--add` pairs.
    func additions() throws -> [String: Double] {
        var values: [String: Double] = [:]
        for item in add.flatMap({ $0.split(separator: ",") }) {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[0].isEmpty, let value = Double(pair[1]) else {
                throw ValidationError("--add \(item): expected KEY=NUMBER, e.g. producer_byte_rate=1048576")
            }
            guard values.updateValue(value, forKey: pair[0]) == nil else { throw ValidationError("--add names \(pair[0]) twice") }
        }
        return values
    }

    var deletions: [String] {
        delete.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        if entity.isEmpty { throw ValidationError("give an entity: --user, --user-default, --client-id and/or --client-id-default") }
        let added = try additions()
        if added.isEmpty && deletions.isEmpty { throw ValidationError("give --add KEY=VALUE and/or --delete KEY") }
        if let both = deletions.first(where: { added[$0] != nil }) { throw ValidationError("\(both) is both added and deleted") }
    }

    func run() async throws {
        let target = QuotaEntity(user: entity.userPart, clientId: entity.clientIdPart)
        let (added, removed, validateOnly) = (try additions(), deletions, self.validateOnly)
        try await client.run { client in
            try await KafkaAdmin(client: client).alterClientQuotas(target, set: added, remove: removed, validateOnly: validateOnly)
        }
        if output.json {
            Console.printJSON(["entity": target.parts.mapValues { $0 ?? NSNull() as Any }, "set": added, "deleted": removed,
                               "validateOnly": validateOnly] as [String: Any])
            return
        }
        let changes = added.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.format($0.value))" } + removed.map { "-\($0)" }
        Console.print("\(validateOnly ? "validated" : "altered") quotas of \(target): \(changes.joined(separator: ", "))")
    }

    /// Whole numbers without a fraction (byte rates), others as they are.
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
