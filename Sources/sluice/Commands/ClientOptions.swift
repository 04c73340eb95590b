import ArgumentParser
import Foundation
import SluiceBase
import SluiceBroker
import SluiceClient

/// The options every client command shares.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Brokers to start from, host:port[,host:port...].",
        discussion: "Default: $SLUICE_BOOTSTRAP, else the local cluster's <data-dir>/bootstrap file, else 127.0.0.1:9092."))
    var bootstrap: String?

    @Option(name: .long, help: "Seconds to wait for the cluster before giving up.")
    var timeout: Double = 30

    @Option(name: .customLong("client-id"), help: "The client id sent to the brokers.")
    var clientId: String = "sluice-cli"

    @Option(name: .customLong("command-config"), help: ArgumentHelp(
        "A properties file with Kafka client settings: TLS and SASL (security.protocol, sasl.mechanism, ...).",
        discussion: """
            Keys: security.protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), sasl.mechanism (PLAIN, SCRAM-SHA-256, \
            SCRAM-SHA-512), sasl.username, sasl.password or sasl.jaas.config, ssl.ca.location or ssl.truststore.location \
            (PEM), ssl.certificate.location + ssl.key.location (+ ssl.key.password) for mTLS, \
            ssl.endpoint.identification.algorithm (https, or none), bootstrap.servers. Default: $SLUICE_COMMAND_CONFIG.
            """, valueName: "file"))
    var commandConfig: String?

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    /// Runs `body` with a connected client and turns failures into a message and an exit code.
    /// The `--command-config` file (or `$SLUICE_COMMAND_CONFIG`) as key-value pairs; without
    /// either, a secured local cluster's `<data-dir>/client.properties` when the brokers come from
    /// that data directory (no --bootstrap, no $SLUICE_BOOTSTRAP); empty otherwise.
    func commandProperties() throws -> [String: String] {
        if let read = try Self.readCommandConfig(commandConfig) { return read.properties }
        guard let local = localClusterClientProperties() else { return [:] }
        return try Self.readProperties(local)
    }

    /// The file `option` names, else `$SLUICE_COMMAND_CONFIG`'s, as key-value pairs with its path;
    /// nil when neither names one. Shared with `sluice console --command-config`.
    static func readCommandConfig(_ option: String?) throws -> (path: String, properties: [String: String])? {
        let environment = ProcessInfo.processInfo.environment["SLUICE_COMMAND_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = option ?? environment else { return nil }
        do {
            return (path, try readProperties(path))
        } catch {
            throw ValidationError("\(error)\(option == nil ? " (from SLUICE_COMMAND_CONFIG)" : "")")
        }
    }

    private static func readProperties(_ path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read the command config \(path)")
        }
        var properties: [String: String] = [:]
        for (key, value) in PropertiesFile.parse(String(decoding: data, as: UTF8.self)) { properties[key] = value }
        return properties
    }

    /// `<data-dir>/client.properties` of a secured local cluster (`cluster up --secure`, `sluice
    /// --secure`), when the bootstrap servers will come from that data directory's bootstrap file.
    private func localClusterClientProperties() -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard bootstrap == nil, (environment[BootstrapLookup.environmentVariable] ?? "").trimmingCharacters(in: .whitespaces).isEmpty
        else { return nil }
        let path = (BootstrapLookup.defaultDataDirectory(environment: environment) as NSString).appendingPathComponent("client.properties")
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The TLS and SASL settings of the command config.
    func security(_ properties: [String: String]) throws -> ClientSecurity {
        do {
            return try ClientSecurity(properties: properties)
        } catch let error as KafkaClientError {
            throw ValidationError("command config: \(error.detail)")
        }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (KafkaClient) async throws -> T) async throws -> T {
        let properties = try commandProperties()
        let explicit = bootstrap ?? properties["bootstrap.servers"]
        let resolved: (servers: [BrokerAddress], source: BootstrapLookup.Source)
        do {
            resolved = try BootstrapLookup.resolve(explicit: explicit)
        } catch let error as KafkaClientError {
            throw ValidationError("\(error.detail) (from \(explicit == nil ? "the environment or bootstrap file" : bootstrap == nil ? "bootstrap.servers" : "--bootstrap"))")
        }
        let servers = resolved.servers.map(\.description).joined(separator: ",")
        var configuration = ClientConfiguration(
            bootstrapServers: resolved.servers, clientId: clientId,
            connectTimeout: .seconds(min(timeout, 10)), requestTimeout: .seconds(timeout),
            retry: RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1)))
        configuration.security = try security(properties)
        let client = KafkaClient(configuration: configuration)
        do {
            let value = try await body(client)
            await client.close()
            return value
        } catch let error as KafkaClientError {
            await client.close()
            Console.error(ErrorAdvice.message(for: error, bootstrap: servers, source: resolved.source))
            throw ExitCode(CommandExitCode.code(for: error))
        } catch let failure as CommandFailure {
            await client.close()
            Console.error(failure.message)
            throw ExitCode(failure.exitCode)
        } catch {
            await client.close()
            throw error
        }
    }
}

/// `--json`: machine-readable output instead of tables.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of tables.")
    var json = false
}

/// Writing to the terminal.
enum Console {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Pretty, key-sorted JSON of a JSON-compatible value.
    static func printJSON(_ value: Any) {
        Console.print(JSON.encode(value, pretty: true))
    }
}

enum JSON {
    static func encode(_ value: Any, pretty: Bool = false) -> String {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: options) else {
            // Scalars at the top level.
            if let data = try? JSONSerialization.data(withJSONObject: [value], options: options),
               let text = String(data: data, encoding: .utf8) {
                return String(text.dropFirst().dropLast())
            }
            return "null"
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Parses `key=value` arguments.
func parseKeyValue(_ text: String, what: String) throws -> (String, String) {
    guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
        throw ValidationError("\(what) '\(text)' is not key=value")
    }
    return (String(text[..<eq]), String(text[text.index(after: eq)...]))
}
