/// A topic to create, as the new-topic form validated it.
public struct TopicSpec: Equatable, Sendable {
    public var name: String
    public var partitions: Int32
    public var replicationFactor: Int16
    /// Topic configs (Kafka's names: `cleanup.policy`, `retention.ms`).
    public var configs: [String: String]

    public init(name: String, partitions: Int32, replicationFactor: Int16, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// The `n` dialog: name, partitions, replication factor, cleanup policy and retention.
public enum NewTopicForm {
    public static let cleanupPolicies = ["delete", "compact", "compact,delete"]

    /// A fresh form; the replication factor defaults to min(3, brokers).
    public static func make(brokerCount: Int) -> Form {
        Form(title: "New topic", fields: [
            // The field takes more than the limit, so a name that is too long is refused, not cut.
            FormField("Name", limit: 1000, hint: "Letters, digits, '.', '_' and '-'; at most 249 characters"),
            FormField("Partitions", text: "3", limit: 6, hint: "How many partitions (1-10000)"),
            FormField("Replication", text: "\(max(1, min(3, brokerCount)))", limit: 3,
                      hint: "Copies of each partition (at most the number of brokers)"),
            FormField("Cleanup", choices: cleanupPolicies, hint: "delete: drop old segments; compact: keep the last value per key"),
            FormField("Retention", text: "7d", limit: 20,
                      hint: "How long to keep messages: 30m, 12h, 7d, a number of ms, or forever"),
        ])
    }

    /// The topic the form describes, or the first problem with it in words.
    public static func validate(_ form: Form) -> Result<TopicSpec, FormError> {
        let name = form.value("Name").trimmingSpaces
        if let problem = topicNameProblem(name) { return .failure(FormError(problem)) }
        guard let partitions = Int32(form.value("Partitions").trimmingSpaces), (1...10_000).contains(partitions) else {
            return .failure(FormError("Partitions must be a whole number from 1 to 10000"))
        }
        guard let rf = Int16(form.value("Replication").trimmingSpaces), rf >= 1 else {
            return .failure(FormError("Replication factor must be a whole number of at least 1"))
        }
        guard let retention = retentionMillis(form.value("Retention")) else {
            return .failure(FormError("Retention must look like 30m, 12h, 7d, 86400000 or forever"))
        }
        return .success(TopicSpec(name: name, partitions: partitions, replicationFactor: rf,
                                  configs: ["cleanup.policy": form.value("Cleanup"), "retention.ms": String(retention)]))
    }

    /// Kafka's topic name rules, or nil when the name is valid.
    public static func topicNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "The topic needs a name" }
        if name == "." || name == ".." { return "A topic cannot be named '.' or '..'" }
        if name.count > 249 { return "Topic names are at most 249 characters (this one has \(name.count))" }
        let allowed = name.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "." || $0 == "_" || $0 == "-"
        }
        return allowed ? nil : "Topic names may only use letters, digits, '.', '_' and '-'"
    }

    /// "7d" → 604800000, "forever" → -1; nil when unreadable.
    public static func retentionMillis(_ text: String) -> Int64? {
        let t = text.trimmingSpaces.lowercased()
        if ["forever", "infinite", "-1", "never"].contains(t) { return -1 }
        if let ms = Int64(t), ms > 0 { return ms }
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            if let n = Int64(t.dropLast(suffix.count)), n > 0, n <= Int64.max / factor { return n * factor }
        }
        return nil
    }
}

/// A form's input problem, in words.
public struct FormError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
