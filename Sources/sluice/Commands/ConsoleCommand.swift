import ArgumentParser
import Foundation
import SluiceBroker
import SluiceClient
import SluiceConsole

/// `sluice console` (and plain `sluice`): the terminal console, on an embedded local cluster of
/// `sluice broker` processes or watching a remote Kafka-compatible cluster.
struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The terminal console: runs a local cluster (or watches a remote one) and shows it live.",
        discussion: """
            Without --bootstrap, starts an embedded cluster of `sluice broker` processes (3 by default, configured \
            as `sluice cluster up` does) whose data is kept between runs in the data directory \
            ($XDG_DATA_HOME/sluice, or ~/.local/share/sluice); while it runs, <data-dir>/bootstrap names its \
            brokers for other `sluice` commands. A directory that already holds a cluster runs that cluster. With --bootstrap, \
            watches that cluster through the Kafka protocol (kill, restart and add are unavailable then); a secured \
            cluster (TLS, SASL) takes --command-config, with the keys of every other client command.
            Press ? in the console for its keys.
            """
    )

    @Option(name: .long, help: "Watch this remote cluster (host:port[,host:port...]) instead of running one.")
    var bootstrap: String?

    @Option(name: .customLong("command-config"), help: ArgumentHelp(
        "With --bootstrap: a properties file with the TLS and SASL settings to watch a secured cluster with.",
        discussion: "The keys of the other commands' --command-config (security.protocol, sasl.mechanism, sasl.username, "
            + "sasl.password, ssl.ca.location, ...). Default: $SLUICE_COMMAND_CONFIG, with --bootstrap.",
        valueName: "file"))
    var commandConfig: String?

    @Flag(name: .long, help: ArgumentHelp(
        "A new embedded cluster secured: SASL_SSL, a generated CA, ACLs, SCRAM users admin and demo.",
        discussion: "The console connects as admin, the demo load as demo; <data-dir>/client.properties holds admin's "
            + "settings for other clients (kcat -F <data-dir>/client.properties -L)."))
    var secure = false

    @Option(name: .long, help: "Brokers of the embedded cluster (default 3; the first three are the metadata quorum's voters).")
    var brokers: Int?

    @Option(name: .long, help: "The embedded cluster's data directory.")
    var dataDir: String?

    @Flag(name: .long, help: "Delete the embedded cluster's data first and start empty.")
    var fresh = false

    @Option(name: .long, help: "A new cluster's first broker port (the others follow; controller listeners from PORT+50); default: free ports, kept between runs.")
    var port: Int32?

    @Option(name: .long, help: "A theme name (dark, light, high-contrast, monochrome, or a user theme) or a theme file.")
    var theme: String?

    @Option(name: .long, help: "Seconds between refreshes (0.25 to 60).")
    var refresh: Double = 1

    @Flag(name: .long, help: "List the available themes and exit.")
    var listThemes = false

    func validate() throws {
        if bootstrap != nil && (dataDir != nil || fresh || port != nil || brokers != nil) {
            throw ValidationError("--bootstrap watches a remote cluster; --brokers, --data-dir, --fresh and --port are for the embedded one")
        }
        if bootstrap != nil && secure {
            throw ValidationError("--secure starts a secured embedded cluster; a remote one takes --command-config")
        }
        if bootstrap == nil && commandConfig != nil {
            throw ValidationError("--command-config is for a remote cluster (--bootstrap); the embedded cluster is not secured")
        }
        guard (1...9).contains(brokers ?? 3) else { throw ValidationError("--brokers must be from 1 to 9") }
        guard (0.25...60).contains(refresh) else { throw ValidationError("--refresh must be from 0.25 to 60 seconds") }
        if let port, !(1...65000).contains(port) { throw ValidationError("--port must be from 1 to 65000") }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        if listThemes {
            let catalog = ThemeCatalog.load(environment: environment)
            for theme in catalog.themes { print("\(theme.name)\t\(theme.description) (\(theme.source))") }
            for problem in catalog.problems { print("ignored: \(problem)") }
            return
        }
        guard isatty(0) != 0, isatty(1) != 0 else {
            throw Self.fail("the console needs a terminal (stdin and stdout must be a TTY)")
        }
        let cluster: ConsoleOptions.Cluster
        if let bootstrap {
            cluster = .remote(bootstrap: bootstrap, security: try remoteSecurity())
        } else {
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            cluster = .embedded(dataDir: dataDir ?? DataDirectory.defaultPath(environment: environment), brokers: brokers ?? 3,
                                fresh: fresh, basePort: port, executable: executable, secure: secure)
        }
        let app: ConsoleApp
        do {
            app = try ConsoleApp(options: ConsoleOptions(cluster: cluster, theme: theme, refresh: refresh, environment: environment))
        } catch {
            throw Self.fail("\(error)")
        }
        app.run()
    }

    /// The TLS and SASL settings of `--command-config` (or `$SLUICE_COMMAND_CONFIG`); plaintext without.
    private func remoteSecurity() throws -> ClientSecurity {
        let config: (path: String, properties: [String: String])?
        do {
            config = try ClientOptions.readCommandConfig(commandConfig)
        } catch {
            throw Self.fail("\(error)")
        }
        guard let config else { return .plaintext }
        do {
            return try ClientSecurity(properties: config.properties)
        } catch let error as KafkaClientError {
            throw Self.fail("command config \(config.path): \(error.detail)")
        }
    }

    /// Says what went wrong (without the usage text: the arguments were fine) and exits with 1.
    private static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("sluice console: \(message)\n".utf8))
        return ExitCode(1)
    }
}
