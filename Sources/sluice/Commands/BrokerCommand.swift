import ArgumentParser
import Dispatch
import Foundation
import Logging
import SluiceBroker
import SluiceLocalCluster
import SluiceStorage

/// `sluice broker`: runs one Kafka-compatible broker until SIGTERM or SIGINT.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run a Kafka-compatible broker.",
        discussion: """
            Settings come from --config (a Kafka broker.properties file, Kafka's key names), then \
            --set key=value, then the flags below, later ones winning. Prints \
            "sluice broker <id> listening on <host:port>" on standard output once it serves requests, \
            and "sluice broker <id> ready" once the controller has registered and unfenced it. \
            Without controller.quorum.voters the broker is a single node (its own one-voter metadata \
            quorum). In a cluster, each node sets node.id, process.roles (broker,controller or broker), \
            controller.quorum.voters (1@host:port,...), listeners \
            (PLAINTEXT://host:9092,CONTROLLER://host:9093) and controller.listener.names=CONTROLLER. \
            --metrics-listen host:port (metrics.listener) serves Prometheus metrics on GET /metrics and \
            /health/live, /health/ready (200 once registered, unfenced, caught up and its logs loaded; \
            503 with the reason before). --help-config lists every key Sluice reads. Unknown keys are warned about; an invalid value \
            stops start-up with exit code 78, naming the key. \
            While it runs, the broker holds a lock on <log.dirs>/.lock with its pid inside (a second \
            broker on the same directory is refused; `sluice cluster down` finds it there).
            """
    )

    @Option(name: .long, help: "A broker.properties file (node.id, listeners, log.dirs, num.partitions, ...).")
    var config: String?

    @Option(name: .long, help: "This broker's node id (node.id).")
    var nodeId: Int32?

    @Option(name: .long, help: "The address to listen on, host:port (listeners); port 0 picks a free port.")
    var listen: String?

    @Option(name: .long, help: "The address clients are told to use, host:port (advertised.listeners).")
    var advertise: String?

    @Option(name: .long, help: "Serve GET /metrics (Prometheus), /health/live and /health/ready over HTTP on host:port (metrics.listener); off by default.")
    var metricsListen: String?

    @Option(name: .long, help: "The data directory (log.dirs).")
    var dataDir: String?

    @Option(name: .customLong("set"), help: "A broker setting by Kafka key, key=value (repeatable).")
    var settings: [String] = []

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Flag(name: .long, help: "Exit when the parent process exits (Linux), so that no broker outlives its supervisor.")
    var exitWithParent = false

    @Flag(name: .long, help: "List every broker config (Kafka's name, type, default, Kafka's update mode, what it does) and exit.")
    var helpConfig = false

    @Flag(name: .long, help: "With --help-config: print the list as JSON.")
    var json = false

    func validate() throws {
        if json && !helpConfig { throw ValidationError("--json goes with --help-config") }
    }

    func run() async throws {
        if helpConfig {
            Console.print(json ? BrokerConfigHelp.json() : BrokerConfigHelp.table())
            return
        }
        let parentAtStart = getppid()
        // First of all: a SIGTERM from here on (the parent's death included) is a clean shutdown.
        let signals = ShutdownSignals()
        if exitWithParent { ParentWatch.install(expectedParent: parentAtStart) }
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "sluice.broker")
        logger.logLevel = level

        let brokerConfig: BrokerConfig
        do {
            brokerConfig = try buildConfig(logger: logger)
        } catch let error as BrokerConfigError {
            Console.error(error.description)
            throw ExitCode(BrokerConfigHelp.configErrorExitCode)
        }
        logger[metadataKey: "node"] = "\(brokerConfig.nodeId)"
        // Held until exit, with this process's pid inside: `sluice cluster down` finds a broker
        // restarted by hand or by the console through it.
        let dataLock: BrokerDirectoryLock
        do {
            dataLock = try BrokerDirectoryLock(directory: brokerConfig.dataDirectory)
        } catch let error as LocalClusterError {
            throw ValidationError(error.description)
        }

        let logs = try LogManager(directory: brokerConfig.dataDirectory, defaults: brokerConfig.logDefaults, logger: logger)
        let broker: Broker
        do {
            // A member of a multi-node quorum cannot be ready before a majority of voters is up, and
            // those may be started after it: it reports readiness on its own line when it comes.
            let waitForQuorum = brokerConfig.quorumVoters.isEmpty
            broker = try await Broker.start(config: brokerConfig, logs: logs, logger: logger, waitUntilReady: waitForQuorum)
        } catch {
            logs.shutdown()
            throw ValidationError("cannot start: \(error)")
        }
        logs.startBackgroundTasks(brokerConfig.background)
        let line = "sluice broker \(brokerConfig.nodeId) listening on \(broker.advertised)\n"
        FileHandle.standardOutput.write(Data(line.utf8))
        if let metrics = broker.metricsAddress {
            let url = "http://\(brokerConfig.metricsListener?.host ?? "127.0.0.1"):\(metrics.port ?? 0)/metrics"
            FileHandle.standardOutput.write(Data("sluice broker \(brokerConfig.nodeId) metrics on \(url)\n".utf8))
        }
        let controllerNote = broker.controllerAddress.map { "; controller listener \($0)" } ?? ""
        logger.info("listening on \(broker.boundAddress), advertised as \(broker.advertised)\(controllerNote)")
        let nodeId = brokerConfig.nodeId
        broker.ready.whenSuccess {
            FileHandle.standardOutput.write(Data("sluice broker \(nodeId) ready\n".utf8))
            logger.info("ready: registered and unfenced")
        }

        let signal = await signals.next()
        logger.info("received \(signal), shutting down")
        await broker.shutdown()
        dataLock.release()
        logger.info("stopped")
    }

    /// File, then --set, then flags; every value validated, warnings logged.
    private func buildConfig(logger: Logger) throws -> BrokerConfig {
        var brokerConfig = BrokerConfig()
        var entries: [(key: String, value: String)] = []
        if let path = config {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw BrokerConfigError("cannot read the config file \(path)")
            }
            entries += PropertiesFile.parse(text)
        }
        for setting in settings {
            guard let equals = setting.firstIndex(of: "=") else {
                throw BrokerConfigError("--set expects key=value, got '\(setting)'")
            }
            entries.append((String(setting[..<equals]), String(setting[setting.index(after: equals)...])))
        }
        if let nodeId { entries.append(("node.id", String(nodeId))) }
        if let listen { entries.append(("listeners", "PLAINTEXT://" + listen)) }
        if let advertise { entries.append(("advertised.listeners", "PLAINTEXT://" + advertise)) }
        if let dataDir { entries.append(("log.dirs", dataDir)) }
        if let metricsListen { entries.append(("metrics.listener", metricsListen)) }
        for warning in try brokerConfig.apply(entries) {
            logger.warning("\(warning)")
        }
        return brokerConfig
    }
}
