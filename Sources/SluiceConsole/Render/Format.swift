import Foundation

/// Number, size, rate and time formatting shared by the views. Pure and locale-independent, so
/// snapshot tests give the same text everywhere.
public enum Format {
    /// "0", "999", "1.2k", "12.3k", "1.5M", "2.0G".
    public static func count(_ value: Int64) -> String {
        let v = Double(value)
        let a = abs(v)
        if a < 1000 { return String(value) }
        if a < 1_000_000 { return decimal(v / 1000) + "k" }
        if a < 1_000_000_000 { return decimal(v / 1_000_000) + "M" }
        return decimal(v / 1_000_000_000) + "G"
    }

    /// A messages-per-second rate: "0", "0.4", "12", "1.2k".
    public static func rate(_ value: Double) -> String {
        if value <= 0 { return "0" }
        if value < 10 { return String(format: "%.1f", value) }
        if value < 1000 { return String(Int(value.rounded())) }
        return count(Int64(value.rounded()))
    }

    /// A bytes-per-second rate in MB/s (10^6 bytes, as Kafka's tools report): "0.00", "1.25", "120".
    public static func megabytesPerSecond(_ bytesPerSecond: Double) -> String {
        let mb = max(0, bytesPerSecond) / 1_000_000
        if mb == 0 { return "0" }
        if mb < 10 { return String(format: "%.2f", mb) }
        if mb < 100 { return String(format: "%.1f", mb) }
        return String(Int(mb.rounded()))
    }

    /// A size in binary units: "0 B", "512 B", "1.5 KiB", "12 MiB", "3.2 GiB".
    public static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(value)
        var i = 0
        while abs(v) >= 1024 && i < units.count - 1 {
            v /= 1024
            i += 1
        }
        if i == 0 { return "\(value) B" }
        return (v < 10 ? String(format: "%.1f", v) : String(Int(v.rounded()))) + " " + units[i]
    }

    /// A duration in seconds: "850µs", "12ms", "1.2s", "3m05s", "2h01m".
    public static func duration(_ seconds: Double) -> String {
        if seconds < 0.001 { return "\(Int((seconds * 1_000_000).rounded()))µs" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let s = Int(seconds)
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }

    /// A percentage with one decimal: "0.0%", "12.5%".
    public static func percent(_ value: Double) -> String { String(format: "%.1f%%", value) }

    /// A wall-clock time of day in the given zone: "14:03:07".
    public static func clock(_ unixSeconds: Double, zone: TimeZone) -> String {
        let c = components(unixSeconds, zone: zone)
        return String(format: "%02d:%02d:%02d", c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// A full timestamp with milliseconds: "2024-05-01 14:03:07.123".
    public static func timestamp(millis: Int64, zone: TimeZone) -> String {
        if millis < 0 { return "-" }
        let c = components(Double(millis) / 1000, zone: zone)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%03d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0,
            c.minute ?? 0, c.second ?? 0, Int(millis % 1000)
        )
    }

    /// An id list: "1,2,3".
    public static func ids(_ ids: [Int32]) -> String { ids.map(String.init).joined(separator: ",") }

    private static func decimal(_ v: Double) -> String {
        abs(v) < 100 ? String(format: "%.1f", v) : String(Int(v.rounded()))
    }

    private static func components(_ unixSeconds: Double, zone: TimeZone) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: unixSeconds.rounded(.down))
        )
    }
}
