import ArgumentParser
import Foundation
import SluiceClient
import SluiceSecurity

/// `sluice acl create|list|delete`: ACLs through CreateAcls, DescribeAcls and DeleteAcls, with
/// kafka-acls' option names (`--allow-principal`, `--operation`, `--topic`, `--group`,
/// `--cluster`, `--transactional-id`, `--resource-pattern-type`, ...).
struct AclCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acl",
        abstract: "Manage ACLs (the brokers need authorizer.class.name set).",
        subcommands: [AclCreateCommand.self, AclListCommand.self, AclDeleteCommand.self]
    )
}

/// The resource options of kafka-acls: one of `--topic`, `--group`, `--cluster`,
/// `--transactional-id`, with `--resource-pattern-type`.
struct AclResourceOptions: ParsableArguments {
    @Option(name: .long, help: "A topic name (or prefix, or * for every topic).") var topic: String?
    @Option(name: .long, help: "A consumer group id (or prefix, or *).") var group: String?
    @Flag(name: .long, help: "The cluster resource (kafka-cluster).") var cluster = false
    @Option(name: .customLong("transactional-id"), help: "A transactional id (or prefix, or *).") var transactionalId: String?
    @Option(name: .customLong("resource-pattern-type"),
            help: "LITERAL or PREFIXED (create); also ANY or MATCH (list, delete).") var resourcePatternType: String?

    /// The resource type and name given, or nil when none is.
    func resource() throws -> (type: AclResourceType, name: String)? {
        var given: [(AclResourceType, String)] = []
        if let topic { given.append((.topic, topic)) }
        if let group { given.append((.group, group)) }
        if cluster { given.append((.cluster, AclResource.clusterName)) }
        if let transactionalId { given.append((.transactionalId, transactionalId)) }
        guard given.count <= 1 else {
            throw ValidationError("give one resource: --topic, --group, --cluster or --transactional-id")
        }
        return given.first.map { (type: $0.0, name: $0.1) }
    }

    func patternType(default fallback: AclPatternType) throws -> AclPatternType {
        guard let text = resourcePatternType else { return fallback }
        guard let value = AclPatternType(name: text), value != .unknown else {
            throw ValidationError("--resource-pattern-type \(text): expected LITERAL, PREFIXED, ANY or MATCH")
        }
        return value
    }
}

/// Principals, hosts and operations, as kafka-acls takes them.
struct AclEntryOptions: ParsableArguments {
    @Option(name: .customLong("allow-principal"), help: "A principal (User:alice) allowed; repeatable.") var allowPrincipal: [String] = []
    @Option(name: .customLong("deny-principal"), help: "A principal denied; repeatable.") var denyPrincipal: [String] = []
    @Option(name: .customLong("allow-host"), help: "A host (IP address) the allow ACLs apply from; repeatable.") var allowHost: [String] = []
    @Option(name: .customLong("deny-host"), help: "A host the deny ACLs apply from; repeatable.") var denyHost: [String] = []
    @Option(name: .long, help: "Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All; repeatable.")
    var operation: [String] = []

    func operations() throws -> [AclOperation] {
        try operation.map { name in
            guard let value = AclOperation(name: name), value != .unknown, value != .any else {
                throw ValidationError("--operation \(name): expected one of Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All")
            }
            return value
        }
    }

    /// (principal, host, permission) triples: each principal with each host of its kind (`*` when none).
    var entries: [(principal: String, host: String, permission: AclPermissionType)] {
        allowPrincipal.flatMap { p in (allowHost.isEmpty ? ["*"] : allowHost).map { (p, $0, AclPermissionType.allow) } }
            + denyPrincipal.flatMap { p in (denyHost.isEmpty ? ["*"] : denyHost).map { (p, $0, AclPermissionType.deny) } }
    }
}

struct AclCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Add ACLs (kafka-acls --add).",
        discussion: "Example: sluice acl create --allow-principal User:alice --operation Read --operation Describe --topic orders")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var resource: AclResourceOptions
    @OptionGroup var entry: AclEntryOptions

    func run() async throws {
        guard let target = try resource.resource() else {
            throw ValidationError("give a resource: --topic, --group, --cluster or --transactional-id")
        }
        let patternType = try resource.patternType(default: .literal)
        guard patternType == .literal || patternType == .prefixed else {
            throw ValidationError("ACLs are LITERAL or PREFIXED")
        }
        let operations = try entry.operations()
        guard !operations.isEmpty else { throw ValidationError("give at least one --operation") }
        guard !entry.entries.isEmpty else { throw ValidationError("give --allow-principal or --deny-principal") }
        let pattern = AclResourcePattern(target.type, target.name, patternType)
        let bindings = entry.entries.flatMap { e in
            operations.map { AclBinding(pattern, AccessControlEntry(principal: e.principal, host: e.host, operation: $0, permission: e.permission)) }
        }
        try await client.run { client in try await KafkaAdmin(client: client).createAcls(bindings) }
        AclPrinting.print(bindings, json: output.json, header: "created")
    }
}

struct AclListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List ACLs (kafka-acls --list).")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var resource: AclResourceOptions
    @Option(name: .long, help: "Only the ACLs of this principal (User:alice).") var principal: String?

    func run() async throws {
        let target = try resource.resource()
        let filter = AclBindingFilter(resourceType: target?.type ?? .any, name: target?.name,
                                      patternType: try resource.patternType(default: target == nil ? .any : .literal),
                                      principal: principal)
        let found = try await client.run { client in try await KafkaAdmin(client: client).describeAcls(filter) }
        AclPrinting.print(found, json: output.json, header: nil)
    }
}

struct AclDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Remove ACLs (kafka-acls --remove): every ACL the options match.",
        discussion: "Without --operation or principals, every ACL on the resource goes.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var resource: AclResourceOptions
    @OptionGroup var entry: AclEntryOptions

    func run() async throws {
        guard let target = try resource.resource() else {
            throw ValidationError("give a resource: --topic, --group, --cluster or --transactional-id")
        }
        let patternType = try resource.patternType(default: .literal)
        let operations: [AclOperation] = try entry.operations().isEmpty ? [.any] : entry.operations()
        let entries: [(principal: String?, host: String?, permission: AclPermissionType)] = entry.entries.isEmpty
            ? [(nil, nil, .any)] : entry.entries.map { ($0.principal, $0.host, $0.permission) }
        let filters = entries.flatMap { e in
            operations.map {
                AclBindingFilter(resourceType: target.type, name: target.name, patternType: patternType,
                                 principal: e.principal, host: e.host, operation: $0, permission: e.permission)
            }
        }
        let deleted = try await client.run { client in try await KafkaAdmin(client: client).deleteAcls(filters) }
        AclPrinting.print(deleted, json: output.json, header: "deleted")
    }
}

enum AclPrinting {
    static func print(_ bindings: [AclBinding], json: Bool, header: String?) {
        if json {
            Console.printJSON(bindings.map { b in
                ["resourceType": b.pattern.resourceType.name, "name": b.pattern.name, "patternType": b.pattern.patternType.name,
                 "principal": b.entry.principal, "host": b.entry.host, "operation": b.entry.operation.name,
                 "permission": b.entry.permission.name] as [String: Any]
            })
            return
        }
        var table = TablePrinter(["RESOURCE TYPE", "NAME", "PATTERN", "PRINCIPAL", "HOST", "OPERATION", "PERMISSION"])
        for b in bindings {
            table.add([b.pattern.resourceType.name, b.pattern.name, b.pattern.patternType.name, b.entry.principal,
                       b.entry.host, b.entry.operation.name, b.entry.permission.name])
        }
        if let header { Console.print("\(header) \(bindings.count) ACL\(bindings.count == 1 ? "" : "s")") }
        if !table.isEmpty { Console.print(table.render()) } else if header == nil { Console.print("no ACLs") }
    }
}
