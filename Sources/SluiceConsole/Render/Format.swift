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
        let c = civil(Int64(unixSeconds.rounded(.down)), zone: zone)
        return pad(c.hour) + ":" + pad(c.minute) + ":" + pad(c.second)
    }

    /// A full timestamp with milliseconds: "2024-05-01 14:03:07.123". (Arithmetic rather than a
    /// Calendar: the tail formats thousands of these.)
    public static func timestamp(millis: Int64, zone: TimeZone) -> String {
        if millis < 0 { return "-" }
        let c = civil(millis / 1000, zone: zone)
        let ms = Int(millis % 1000)
        return String(c.year) + "-" + pad(c.month) + "-" + pad(c.day) + " " + pad(c.hour) + ":" + pad(c.minute) + ":"
            + pad(c.second) + "." + (ms < 10 ? "00" : ms < 100 ? "0" : "") + String(ms)
    }

    /// Calendar fields of a Unix time in `zone` (proleptic Gregorian; days from civil, after Howard Hinnant).
    static func civil(_ unixSeconds: Int64, zone: TimeZone)
        -> (year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int)
    {
        let t = unixSeconds + Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(unixSeconds))))
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = Int(t - days * 86400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, secs / 3600, secs % 3600 / 60, secs % 60)
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0" + String(n) : String(n) }

    /// An id list: "1,2,3".
    public static func ids(_ ids: [Int32]) -> String { ids.map(String.init).joined(separator: ",") }

    private static func decimal(_ v: Double) -> String {
        abs(v) < 100 ? String(format: "%.1f", v) : String(Int(v.rounded()))
    }

}
