import Foundation
import SluiceBase

/// Finds the bootstrap servers when none are given on the command line.
///
/// The order is: the `SLUICE_BOOTSTRAP` environment variable; then the file `bootstrap` in the
/// local cluster's data directory (written by `sluice cluster up` and the console), where the data
/// directory is `$XDG_DATA_HOME/sluice`, else `~/.local/share/sluice`; else `127.0.0.1:9092`.
/// This is the one place that knows the lookup: the commands and the console all call it.
public enum BootstrapLookup {
    /// Where the value came from, for messages such as "could not reach 127.0.0.1:9092 (default)".
    public enum Source: Sendable, Hashable, CustomStringConvertible {
        case argument
        case environment
        case file(String)
        case builtInDefault

        public var description: String {
            switch self {
            case .argument: return "--bootstrap"
            case .environment: return "$SLUICE_BOOTSTRAP"
            case let .file(path): return path
            case .builtInDefault: return "default"
            }
        }
    }

    public static let environmentVariable = "SLUICE_BOOTSTRAP"
    public static let defaultServers = "127.0.0.1:9092"

    /// The local cluster's data directory: `$XDG_DATA_HOME/sluice` or `~/.local/share/sluice`.
    public static func defaultDataDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            return (xdg as NSString).appendingPathComponent("sluice")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".local/share/sluice")
    }

    /// The path of the bootstrap file inside a data directory.
    public static func bootstrapFile(dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("bootstrap")
    }

    /// Resolves the bootstrap server list: `explicit` when given, else the environment, the
    /// bootstrap file, the default. Throws when the chosen text does not parse.
    public static func resolve(
        explicit: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (servers: [BrokerAddress], source: Source) {
        if let explicit {
            return (try BrokerAddress.parseList(explicit), .argument)
        }
        if let value = environment[environmentVariable], !value.trimmingCharacters(in: .whitespaces).isEmpty {
            return (try BrokerAddress.parseList(value), .environment)
        }
        let file = bootstrapFile(dataDirectory: defaultDataDirectory(environment: environment))
        if let data = FileManager.default.contents(atPath: file),
           let text = String(data: data, encoding: .utf8) {
            let list = text.split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == " " })
                .map { String($0) }.filter { !$0.isEmpty }.joined(separator: ",")
            if !list.isEmpty {
                return (try BrokerAddress.parseList(list), .file(file))
            }
        }
        return (try BrokerAddress.parseList(defaultServers), .builtInDefault)
    }
}
