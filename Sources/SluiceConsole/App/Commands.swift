import Foundation

/// The `:` command prompt's language.
public enum Commands {
    /// One line per command, for the help text and the README.
    public static let help: [(String, String)] = [
        ("tail TOPIC[:PARTITION]", "tail a topic (all partitions) or one partition"),
        ("seek beginning|end|OFFSET|TIME", "move the tail (TIME: 2024-05-01T12:00:00 or -5m; before the first message: the beginning)"),
        ("partitions TOPIC", "show a topic's partitions"),
        ("group ID", "show a group's partitions and lag"),
        ("refresh SECONDS", "poll every SECONDS (0.25 to 60)"),
        ("theme NAME", "switch to a theme"),
        ("kill ID / restart ID / add", "embedded brokers: kill, restart, add"),
        ("brokers|topics|partitions|groups|tail|events", "show a view"),
        ("quit", "quit"),
    ]

    /// Runs a command line against the state; returns its effects or what is wrong with it.
    static func run(_ s: inout AppState, _ line: String) -> Result<[Effect], FormError> {
        let words = line.split(separator: " ").map(String.init)
        guard let verb = words.first?.lowercased() else { return .success([]) }
        let arg = words.count > 1 ? words[1] : nil
        func need(_ what: String) -> Result<[Effect], FormError> { .failure(FormError("\(verb) needs \(what)")) }
        switch verb {
        case "q", "quit", "exit":
            return .success(Reducer.quit(&s))
        case "tail", "t":
            guard let arg else { return need("a topic: tail TOPIC[:PARTITION]") }
            let parts = arg.split(separator: ":", maxSplits: 1)
            var partition: Int32?
            if parts.count == 2 {
                guard let p = Int32(parts[1]), p >= 0 else { return .failure(FormError("bad partition: \(parts[1])")) }
                partition = p
            }
            return .success(Reducer.startTail(&s, TailTarget(topic: String(parts[0]), partition: partition)))
        case "seek":
            guard let arg else { return need("a position: beginning, end, an offset or a time") }
            let rest = words.dropFirst().joined(separator: " ")
            switch rest.lowercased() {
            case "beginning", "start", "earliest": return .success(Reducer.seek(&s, .beginning))
            case "end", "latest": return .success(Reducer.seek(&s, .end))
            default:
                if let offset = Int64(arg), offset >= 0, offset < 100_000_000_000 { return .success(Reducer.seek(&s, .offset(offset))) }
                if let millis = parseTime(rest, now: s.now, zone: s.timeZone) { return .success(Reducer.seek(&s, .timestamp(millis))) }
                return .failure(FormError("cannot read \(rest) as an offset or a time"))
            }
        case "partitions", "topic":
            guard let arg else {
                Reducer.go(&s, .partitions)
                return .success([])
            }
            if let snap = s.snapshot, snap.topic(arg) == nil {
                return .failure(FormError("no topic \(arg) (the Topics view lists them)"))
            }
            Reducer.push(&s, .partitions(.topic(arg)))
            return .success([])
        case "group":
            guard let arg else { return need("a group id") }
            if let snap = s.snapshot, snap.group(arg) == nil {
                return .failure(FormError("no group \(arg)" + (snap.groupsUnlisted != nil ? " listed now (the groups could not be listed)" : "")))
            }
            Reducer.push(&s, .groupDetail(arg))
            return .success([])
        case "refresh":
            guard let arg, let seconds = Double(arg.hasSuffix("s") ? String(arg.dropLast()) : arg), seconds >= 0.25, seconds <= 60
            else { return need("a number of seconds from 0.25 to 60") }
            s.refreshInterval = seconds
            Reducer.setStatus(&s, "Refreshing every \(Format.duration(seconds))")
            return .success([.setRefreshInterval(seconds)])
        case "theme":
            guard let arg else { return need("a name: " + s.themeNames.joined(separator: ", ")) }
            guard s.themeNames.contains(arg) else {
                return .failure(FormError("no theme \(arg); there are " + s.themeNames.joined(separator: ", ")))
            }
            guard s.colorEnabled else { return .failure(FormError("colours are off (NO_COLOR)")) }
            s.themeName = arg
            Reducer.setStatus(&s, "Theme: \(arg)")
            return .success([.applyTheme(arg)])
        case "kill", "restart", "add":
            guard s.mode.isEmbedded else {
                return .failure(FormError("\(verb) is unavailable: this console watches a remote cluster"))
            }
            if verb == "add" { return .success([.addBroker]) }
            guard let arg, let id = Int32(arg), s.processes[id] != nil else { return need("the id of an embedded broker") }
            if verb == "kill" {
                s.dialog = .killBroker(KillBrokerDialog.make(broker: id, state: s))
                return .success([])
            }
            return .success(Reducer.restart(&s, id, confirmed: false))
        default:
            if let view = ViewID.allCases.first(where: { $0.title.lowercased() == verb }) {
                Reducer.go(&s, view)
                return .success([])
            }
            return .failure(FormError("unknown command \(verb) (? lists the keys; commands: tail, seek, refresh, theme, kill, restart, add, quit)"))
        }
    }

    /// Milliseconds since 1970 for "2024-05-01T12:00:00" / "2024-05-01 12:00[:00]" (in `zone`),
    /// "-5m" / "-2h" / "-30s" / "-1d" (before `now`), or an epoch in milliseconds ("0" is 1970).
    /// A time before 1970 (such as "-100000d") is 0: the tail starts at the beginning, as for any
    /// time before the log's first message.
    public static func parseTime(_ text: String, now: Double, zone: TimeZone) -> Int64? {
        let t = text.trimmingSpaces
        if let ms = Int64(t), ms >= 0 { return ms }
        if t.hasPrefix("-"), let unit = t.last, let n = Double(t.dropFirst().dropLast()), n >= 0, n.isFinite {
            let factor: Double? = ["s": 1, "m": 60, "h": 3600, "d": 86400][unit]
            if let factor { return millis(now - n * factor) }
            return nil
        }
        let normalized = t.replacingOccurrences(of: "T", with: " ")
        let halves = normalized.split(separator: " ")
        guard halves.count <= 2, let datePart = halves.first else { return nil }
        let date = datePart.split(separator: "-").compactMap { Int($0) }
        let time = halves.count == 2 ? halves[1].split(separator: ":").compactMap { Double($0) } : [0, 0, 0]
        guard date.count == 3, (2...3).contains(time.count) else { return nil }
        var c = DateComponents()
        c.year = date[0]
        c.month = date[1]
        c.day = date[2]
        c.hour = Int(time[0])
        c.minute = Int(time[1])
        c.second = time.count == 3 ? Int(time[2]) : 0
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard (1...12).contains(date[1]), (1...31).contains(date[2]), let d = calendar.date(from: c) else { return nil }
        let fraction = time.count == 3 ? time[2] - time[2].rounded(.down) : 0
        return millis(d.timeIntervalSince1970 + fraction)
    }

    /// Seconds since 1970 as milliseconds, 0 for anything before 1970 (or not finite), at most
    /// year ~292 million (Int64 milliseconds never overflow).
    static func millis(_ seconds: Double) -> Int64 {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int64(min(seconds * 1000, 9e18).rounded())
    }
}
