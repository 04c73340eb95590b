import ArgumentParser
import Foundation
import SluiceClient
import SluiceSecurity

/// `sluice user scram set|list|delete`: SCRAM users, through AlterUserScramCredentials and
/// DescribeUserScramCredentials (what `kafka-configs --alter --add-config 'SCRAM-SHA-256=[...]'
/// --entity-type users` does).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage users: SCRAM credentials.",
        subcommands: [UserScramCommand.self]
    )
}

struct UserScramCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scram",
        abstract: "Create, list and delete SCRAM-SHA-256 / SCRAM-SHA-512 credentials.",
        subcommands: [UserScramSetCommand.self, UserScramListCommand.self, UserScramDeleteCommand.self]
    )
}

/// `--mechanism`, repeatable; both SCRAM mechanisms when not given.
struct ScramMechanismOptions: ParsableArguments {
    @Option(name: .long, help: "SCRAM-SHA-256 or SCRAM-SHA-512 (repeatable; default: both).")
    var mechanism: [String] = []

    func mechanisms() throws -> [ScramMechanism] {
        guard !mechanism.isEmpty else { return ScramMechanism.allCases }
        return try mechanism.map { name in
            guard let value = ScramMechanism(rawValue: name.uppercased()) else {
                throw ValidationError("--mechanism \(name): expected SCRAM-SHA-256 or SCRAM-SHA-512")
            }
            return value
        }
    }
}

struct UserScramSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Create or change a user's SCRAM credentials.",
        discussion: "The password is read from --password, else from the first line of standard input. It never leaves this machine: the brokers get a salt and a salted hash.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var mechanisms: ScramMechanismOptions
    @Argument(help: "The user name.") var user: String
    @Option(name: .long, help: "The password (default: the first line of standard input).") var password: String?
    @Option(name: .long, help: "PBKDF2 iterations, 4096 to 16384.") var iterations: Int32 = 4096

    func validate() throws {
        guard ScramMechanism.iterationRange.contains(iterations) else {
            throw ValidationError("--iterations must be between 4096 and 16384")
        }
        guard !user.isEmpty else { throw ValidationError("the user name must not be empty") }
    }

    func run() async throws {
        let chosen = try mechanisms.mechanisms()
        guard let password = password ?? readLine(strippingNewline: true), !password.isEmpty else {
            throw ValidationError("give the password with --password or on standard input")
        }
        let (user, iterations) = (self.user, self.iterations)
        try await client.run { client in
            try await KafkaAdmin(client: client).alterUserScramCredentials(
                chosen.map { .upsert(user: user, mechanism: $0, password: password, iterations: iterations) })
        }
        if output.json {
            Console.printJSON(["user": user, "mechanisms": chosen.map(\.rawValue), "iterations": Int(iterations)] as [String: Any])
        } else {
            Console.print("set \(chosen.map(\.rawValue).joined(separator: ", ")) credentials of user '\(user)' (\(iterations) iterations)")
        }
    }
}

struct UserScramListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List SCRAM users and their mechanisms.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Users to show (default: all).") var users: [String] = []

    func run() async throws {
        let names = users
        let described = try await client.run { client in
            try await KafkaAdmin(client: client).describeUserScramCredentials(users: names.isEmpty ? nil : names)
        }
        if output.json {
            Console.printJSON(described.map { user in
                ["user": user.user,
                 "credentials": user.credentials.map { ["mechanism": $0.mechanism.rawValue, "iterations": Int($0.iterations)] }] as [String: Any]
            })
            return
        }
        var table = TablePrinter(["USER", "MECHANISM", "ITERATIONS"], alignments: [.left, .left, .right])
        for user in described {
            for credential in user.credentials {
                table.add([user.user, credential.mechanism.rawValue, String(credential.iterations)])
            }
        }
        Console.print(table.isEmpty ? "no SCRAM users" : table.render())
    }
}

struct UserScramDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a user's SCRAM credentials.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var mechanisms: ScramMechanismOptions
    @Argument(help: "The user name.") var user: String

    func run() async throws {
        let user = self.user
        let requested = try mechanisms.mechanisms()
        let explicit = !mechanisms.mechanism.isEmpty
        let chosen = try await client.run { client in
            let admin = KafkaAdmin(client: client)
            var chosen = requested
            if !explicit {
                // Both by default: delete the ones the user has (a missing one is not an error then).
                chosen = try await admin.describeUserScramCredentials(users: [user]).first?.credentials.map(\.mechanism) ?? []
            }
            try await admin.alterUserScramCredentials(chosen.map { .delete(user: user, mechanism: $0) })
            return chosen
        }
        if output.json {
            Console.printJSON(["user": user, "deleted": chosen.map(\.rawValue)] as [String: Any])
        } else {
            Console.print("deleted \(chosen.map(\.rawValue).joined(separator: ", ")) credentials of user '\(user)'")
        }
    }
}
