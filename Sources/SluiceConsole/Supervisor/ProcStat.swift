import Foundation

/// Reads a process's resident memory and CPU time from /proc (Linux).
public enum ProcStat {
    /// Resident set size in bytes, from /proc/PID/statm.
    public static func residentBytes(pid: Int32) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int64(fields[1]) else { return nil }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// User plus system CPU time in seconds, from /proc/PID/stat (fields 14 and 15).
    public static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // The command name (field 2) may contain spaces; fields after ")" start at field 3.
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count > 13, let user = Double(rest[11]), let system = Double(rest[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
