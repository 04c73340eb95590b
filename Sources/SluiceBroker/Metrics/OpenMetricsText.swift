/// The Prometheus text exposition (format 0.0.4) rewritten as OpenMetrics 1.0 text, for scrapers
/// that ask for it with `Accept: application/openmetrics-text`.
///
/// The two differ, for what the registry emits, in two places: an OpenMetrics counter family is
/// named without its `_total` suffix (the samples keep it), and the exposition ends with `# EOF`.
enum OpenMetricsText {
    static let contentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"
    static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Whether an `Accept` header prefers OpenMetrics (Prometheus sends it first when it supports it).
    static func isRequested(by accept: String?) -> Bool {
        accept?.lowercased().contains("application/openmetrics-text") ?? false
    }

    static func convert(_ prometheus: [UInt8]) -> [UInt8] {
        let text = String(decoding: prometheus, as: UTF8.self)
        var counters = Set<Substring>()
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            if parts.count == 4, parts[3] == "counter", parts[2].hasSuffix("_total") { counters.insert(parts[2]) }
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") || line.hasPrefix("# HELP ") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
                if parts.count >= 3, counters.contains(parts[2]) {
                    let family = parts[2].dropLast("_total".count)
                    out += "\(parts[0]) \(parts[1]) \(family)" + (parts.count == 4 ? " \(parts[3])" : "") + "\n"
                    continue
                }
            }
            out += line + "\n"
        }
        out += "# EOF\n"
        return Array(out.utf8)
    }
}
