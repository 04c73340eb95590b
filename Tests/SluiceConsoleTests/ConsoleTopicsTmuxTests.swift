import Foundation
import Testing
@testable import SluiceConsole

/// Topics in the real console (one broker, tmux 120×40): Ctrl-D on `__consumer_offsets` is refused
/// with the reason and the groups keep their offsets; a tailed topic that is deleted says so, and
/// once created again it is tailed from its beginning, without the old topic's messages.
extension ConsoleTmuxTests {
    @Test func internalTopicsAreRefusedAndADeletedTopicsTailStartsOver() async throws {
        let dataDir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        try await Self.withConsole(dataDir: dataDir) { tmux, _ in
            try await tmux.waitFor("brokers 1/1 up")
            let bootstrap = try String(contentsOfFile: dataDir + "/bootstrap", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let sluice = try Self.sluiceBinary()

            // The demo load's group puts offsets in __consumer_offsets.
            try await tmux.send("l", "4")
            try await tmux.waitFor("the demo group", seconds: 60) { $0.contains("sluice-demo-readers") }
            try await tmux.send("2", "/")
            try await tmux.send("__consumer", literal: true)
            try await tmux.send("Enter")
            try await tmux.waitFor("__consumer_offsets selected") { $0.split(separator: "\n").contains { $0.hasPrefix(" __consumer_offsets ") } }
            try await tmux.send("C-d")
            let refused = try await tmux.waitFor("the refusal") { $0.contains("Not deleted: __consumer_offsets is a Kafka internal topic") }
            #expect(!refused.contains("Delete topic __consumer_offsets"), "no dialog may open:\n\(refused)")
            let groups = try await TmuxSession.run(sluice, ["group", "list", "--bootstrap", bootstrap])
            #expect(groups.contains(DemoLoad.group), "\(groups)")
            try await tmux.send("Escape", "l")

            // A tailed topic is deleted, then created again: the tail says so, then shows only the new one.
            try await TmuxSession.run(sluice, ["topic", "create", "come-and-go", "--bootstrap", bootstrap])
            try await tmux.send(":")
            try await tmux.send("tail come-and-go", literal: true)
            try await tmux.send("Enter")
            try await tmux.waitFor("the tail reading") { $0.contains("come-and-go (all partitions) ● live") }
            try await Self.produce(["old-1", "old-2"], topic: "come-and-go", bootstrap: bootstrap)
            try await tmux.waitFor("the old messages") { $0.contains("old-2") }
            try await TmuxSession.run(sluice, ["topic", "delete", "come-and-go", "--bootstrap", bootstrap])
            try await tmux.waitFor("the tail saying the topic was deleted", seconds: 15) { s in
                s.contains("come-and-go (all partitions) deleted") && !s.contains("● live")
            }
            try await TmuxSession.run(sluice, ["topic", "create", "come-and-go", "--bootstrap", bootstrap])
            try await Self.produce(["new-1"], topic: "come-and-go", bootstrap: bootstrap)
            let fresh = try await tmux.waitFor("only the new topic's message", seconds: 15) { s in
                s.contains("new-1") && s.contains("● live")
            }
            #expect(!fresh.contains("old-1") && !fresh.contains("old-2"), "\(fresh)")
            try await tmux.send("q")
            try await tmux.waitFor("console exited 0", seconds: 30)
        }
    }
}
