import Foundation
import Testing

/// Runs the `sluice` command-line tools (the binary `BrokerProcess` starts) and parses their output.
enum SluiceCLI {
    /// Runs `sluice ARGS` with `SLUICE_BOOTSTRAP` pointing at `bootstrap` (nil: left unset, and
    /// `XDG_DATA_HOME`/`HOME` pointed at an empty directory so that no bootstrap file is found).
    static func run(_ arguments: [String], bootstrap: String?, input: String? = nil,
                    environment: [String: String] = [:], timeout: TimeInterval = 60) async throws -> ClientRunner.Output {
        var env = environment
        if let bootstrap { env["SLUICE_BOOTSTRAP"] = bootstrap }
        if env["XDG_DATA_HOME"] == nil { env["XDG_DATA_HOME"] = FileManager.default.temporaryDirectory.path + "/sluice-cli-none" }
        // ClientRunner runs through /usr/bin/env, which takes NAME=value words before the command.
        let assignments = env.keys.sorted().map { "\($0)=\(env[$0]!)" }
        let first = assignments.first ?? BrokerProcess.binary
        let rest = assignments.isEmpty ? arguments : Array(assignments.dropFirst()) + [BrokerProcess.binary] + arguments
        return try await ClientRunner.run(first, rest, input: input.map { Data($0.utf8) }, timeout: timeout)
    }

    /// Runs and requires exit code 0.
    @discardableResult
    static func ok(_ arguments: [String], bootstrap: String?, input: String? = nil) async throws -> ClientRunner.Output {
        let output = try await run(arguments, bootstrap: bootstrap, input: input)
        try #require(output.status == 0, "sluice \(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)")
        return output
    }

    /// The JSON document a `--json` command printed.
    static func json(_ output: ClientRunner.Output) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
    }
}
