import Foundation
import Testing
@testable import SluiceConsole

/// Consumer groups in the real console (tmux, 120×40), against the real broker's group
/// coordinator, seen the way a user sees them. A real client's group consumer (kcat's balanced
/// consumer, or `sluice consume --group` where kcat is missing) reads a topic; paused with SIGSTOP
/// while kcat produces, its lag in the Groups view grows; resumed, it catches up to 0. The group's
/// partitions show committed, end and lag; a second member makes the group rebalance, which Events
/// shows; the demo load's group appears, and the console keeps polling through it all.
/// On the main actor: these tests block their thread (tmux, processes, usleep) for seconds, and the
/// cooperative pool has only two threads on this machine; async tests of the same run keep them.
@Suite(.serialized) @MainActor struct ConsoleGroupsTmuxTests {
    nonisolated static let topic = "tmux-lag"
    nonisolated static let group = "tmux-lag-readers"

    @Test func groupLagGrowsWhileTheConsumerIsPausedAndCatchesUp() throws {
        let dataDir = ConsoleTmuxTests.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let started = Clocks.monotonic()
        let (tmux, _) = try ConsoleTmuxTests.launch(dataDir: dataDir + "/console")
        try tmux.waitFor("brokers 1/1 up")
        let bootstrap = try String(contentsOfFile: dataDir + "/console/bootstrap", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let sluice = try ConsoleTmuxTests.sluiceBinary()
        try TmuxSession.run(sluice, ["topic", "create", Self.topic, "--partitions", "2", "--bootstrap", bootstrap])

        // A member joins; once it has read the first records and committed, the lag is 0.
        let member = try GroupMember.start(sluice: sluice, bootstrap: bootstrap, log: dataDir + "/member-1.log")
        defer { member.stop() }
        try tmux.send("4")
        try tmux.waitFor("the group, Stable with 1 member") { Self.row($0)?.state == "Stable" && Self.row($0)?.members == 1 }
        try Self.produce(5, "first", sluice: sluice, bootstrap: bootstrap)
        try tmux.waitFor("lag 0 after the first records", note: member.failureNote) { Self.row($0)?.lag == "0" }

        // Paused, it falls behind: the lag grows with every record produced.
        member.pause()
        try Self.produce(10, "second", sluice: sluice, bootstrap: bootstrap)
        try tmux.waitFor("lag 20") { Self.row($0)?.lag == "20" }
        try Self.produce(10, "third", sluice: sluice, bootstrap: bootstrap)
        try tmux.waitFor("lag 40") { Self.row($0)?.lag == "40" }

        // Its partitions: committed + lag = end on each, lags adding up to 40, 50 records in all.
        try tmux.send("Enter")
        let detail = try tmux.waitFor("the group's partitions") { Self.partitionRows($0).count == 2 }
        let partitions = Self.partitionRows(detail)
        #expect(partitions.allSatisfy { $0.committed + $0.lag == $0.end }, "\(detail)")
        #expect(partitions.map(\.lag).reduce(0, +) == 40 && partitions.map(\.end).reduce(0, +) == 50, "\(detail)")
        #expect(detail.contains("group \(Self.group): Stable, 1 member"), "\(detail)")
        try tmux.send("Escape")

        // Resumed, it catches up; the trend shows the rise and the fall.
        member.resume()
        let caughtUp = try tmux.waitFor("lag back to 0", note: member.failureNote) { Self.row($0)?.lag == "0" }
        let trend = Self.row(caughtUp)?.trend ?? ""
        #expect(trend.contains("▁") && trend.contains("█"), "lag trend '\(trend)' in:\n\(caughtUp)")

        // A second member (another client) joins: the group rebalances, and Events says so.
        let second = try GroupMember.start(sluice: sluice, bootstrap: bootstrap, log: dataDir + "/member-2.log",
                                           useKcat: false)
        defer { second.stop() }
        try tmux.waitFor("2 members", note: second.failureNote) { Self.row($0)?.state == "Stable" && Self.row($0)?.members == 2 }
        try tmux.send("6")
        try tmux.waitFor("a rebalance event") { $0.contains("Group \(Self.group) rebalanc") }

        // The demo load's consumer group appears beside it.
        try tmux.send("l")
        try tmux.send("4")
        try tmux.waitFor("the demo group, Stable with 1 member") {
            let demo = Self.row($0, group: DemoLoad.group)
            return demo?.state == "Stable" && demo?.members == 1 && demo?.lag != "-"
        }
        // Through joins, rebalances and the demo load, the console never lost the cluster.
        try tmux.send("6")
        let events = try tmux.waitFor("Events") { $0.contains("Group \(DemoLoad.group) appeared") }
        #expect(!events.contains("Lost contact") && !events.contains("stale"), "\(events)")
        print("console groups: \(Format.duration(Clocks.monotonic() - started)) (debug build)")
        // The members leave while the broker is there to hear it (then they exit at once).
        second.stop()
        member.stop()
        let quitting = Clocks.monotonic()
        try tmux.send("q")
        try tmux.waitFor("console exited 0", seconds: 30)
        print("console groups: quit in \(Format.duration(Clocks.monotonic() - quitting))")
    }

    /// A KIP-848 group (`sluice consume --group-protocol consumer`): the Groups view shows its type;
    /// a second member's arrival is an incremental rebalance that Events reports with the
    /// partitions moving.
    @Test func aConsumerProtocolGroupShowsItsTypeAndItsRebalance() throws {
        let dataDir = ConsoleTmuxTests.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let (tmux, _) = try ConsoleTmuxTests.launch(dataDir: dataDir + "/console")
        try tmux.waitFor("brokers 1/1 up")
        let bootstrap = try String(contentsOfFile: dataDir + "/console/bootstrap", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let sluice = try ConsoleTmuxTests.sluiceBinary()
        let topic = "tmux-848", group = "tmux-848-readers"
        try TmuxSession.run(sluice, ["topic", "create", topic, "--partitions", "4", "--bootstrap", bootstrap])
        let first = try GroupMember.start(sluice: sluice, bootstrap: bootstrap, log: dataDir + "/member-1.log",
                                          useKcat: false, group: group, topic: topic, groupProtocol: "consumer")
        defer { first.stop() }
        try tmux.send("4")
        try tmux.waitFor("the consumer group, Stable with 1 member", note: first.failureNote) {
            let row = Self.row($0, group: group)
            return row?.type == "consumer" && row?.state == "Stable" && row?.members == 1
        }
        let second = try GroupMember.start(sluice: sluice, bootstrap: bootstrap, log: dataDir + "/member-2.log",
                                           useKcat: false, group: group, topic: topic, groupProtocol: "consumer")
        defer { second.stop() }
        try tmux.waitFor("2 members", note: second.failureNote) {
            Self.row($0, group: group)?.state == "Stable" && Self.row($0, group: group)?.members == 2
        }
        try tmux.send("6")
        try tmux.waitFor("the rebalance in Events") { $0.contains("Group \(group) rebalancing") && $0.contains("moving") }
        second.stop()
        first.stop()
        try tmux.send("q")
        try tmux.waitFor("console exited 0", seconds: 30)
    }

    /// Produces `count` records to each of the topic's two partitions with `sluice produce`.
    static func produce(_ count: Int, _ label: String, sluice: String, bootstrap: String) throws {
        for partition in 0..<2 {
            try TmuxSession.run(sluice, ["produce", topic, "--partition", "\(partition)", "--bootstrap", bootstrap],
                                input: (1...count).map { "\(label)-\(partition)-\($0)" }.joined(separator: "\n") + "\n")
        }
    }

    /// A row of the Groups view, read by the header's column positions (left-aligned columns start
    /// under their title, right-aligned ones end under it; everything left of the trend is ASCII).
    struct GroupRow { var type: String; var state: String; var members: Int?; var lag: String; var trend: String }

    static func row(_ screen: String, group: String = group) -> GroupRow? {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        guard let header = lines.first(where: { String($0).hasPrefix(" Group ") && String($0).contains(" Lag trend") }),
              let line = lines.first(where: { String($0).hasPrefix(" \(group) ") }) else { return nil }
        func column(_ title: String) -> Int? {
            let text = String(header)
            return text.range(of: " \(title)").map { text.distance(from: text.startIndex, to: $0.lowerBound) + 1 }
        }
        func left(_ title: String) -> String {
            guard let start = column(title), start < line.count else { return "" }
            return String(line[start...].prefix { $0 != " " })
        }
        func right(_ title: String) -> String {
            guard let start = column(title), start + title.count <= line.count else { return "" }
            return String(line[..<(start + title.count)].reversed().prefix { $0 != " " }.reversed())
        }
        let trendStart = column("Lag trend") ?? line.count
        let trend = trendStart < line.count ? String(line[trendStart...]).trimmingCharacters(in: .whitespaces) : ""
        return GroupRow(type: left("Type"), state: left("State"), members: Int(right("Members")), lag: right("Lag"), trend: trend)
    }

    /// The group detail's rows: partition, committed, end, lag.
    static func partitionRows(_ screen: String) -> [(partition: Int, committed: Int, end: Int, lag: Int)] {
        screen.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count >= 5, f[0] == Substring(topic), let p = Int(f[1]), let c = Int(f[2]), let e = Int(f[3]),
                  let l = Int(f[4]) else { return nil }
            return (p, c, e, l)
        }
    }
}

/// A real client's group consumer of `tmux-lag` as a process of its own: kcat's balanced consumer
/// (librdkafka, committing every 200 ms) or `sluice consume --group`. Paused and resumed with
/// SIGSTOP and SIGCONT; stopped with SIGTERM, so it leaves the group.
final class GroupMember {
    let pid: Int32
    let log: String
    /// Reaped: the pid may belong to someone else now.
    private var stopped = false

    private init(pid: Int32, log: String) {
        self.pid = pid
        self.log = log
    }

    static func start(sluice: String, bootstrap: String, log: String, useKcat: Bool = true,
                      group: String = ConsoleGroupsTmuxTests.group, topic: String = ConsoleGroupsTmuxTests.topic,
                      groupProtocol: String = "classic") throws -> GroupMember {
        let kcat = "/usr/bin/kcat"
        let arguments = useKcat && FileManager.default.isExecutableFile(atPath: kcat)
            ? [kcat, "-b", bootstrap, "-G", group, "-q", "-X", "auto.offset.reset=earliest",
               "-X", "auto.commit.interval.ms=200", "-X", "heartbeat.interval.ms=500", topic]
            : [sluice, "consume", topic, "--group", group, "--group-protocol", groupProtocol, "--from-beginning",
               "--bootstrap", bootstrap]
        return GroupMember(pid: try ProcessSpawner.spawn(arguments, logFile: log), log: log)
    }

    func pause() { if !stopped { kill(pid, SIGSTOP) } }
    func resume() { if !stopped { kill(pid, SIGCONT) } }

    /// The member's own output, for a failure message.
    var failureNote: String {
        "member \(pid): " + ((try? String(contentsOfFile: log, encoding: .utf8))?.suffix(1500).description ?? "no log")
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGCONT)
        kill(pid, SIGTERM)
        let deadline = Clocks.monotonic() + 10
        while Clocks.monotonic() < deadline {
            if ProcessSpawner.reap(pid) != nil { return }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
