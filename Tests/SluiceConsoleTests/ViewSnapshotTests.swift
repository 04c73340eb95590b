import Testing
@testable import SluiceConsole

/// Every view rendered from the fixed cluster at 120×40 and 80×24, compared with stored snapshots.
@Suite struct ViewSnapshotTests {
    static let sizes = [(120, 40), (80, 24)]

    static let pages: [(String, Page)] = [
        ("brokers", .brokers),
        ("topics", .topics),
        ("partitions", .partitions(.all)),
        ("partitions-of-orders", .partitions(.topic("orders"))),
        ("groups", .groups),
        ("group-billing", .groupDetail("billing")),
        ("group-fraud-scoring", .groupDetail("fraud-scoring")),
        ("tail", .tail),
        ("message-detail", .messageDetail("1:20001")),
        ("events", .events),
    ]

    @Test(arguments: pages)
    func view(name: String, page: Page) {
        for (w, h) in Self.sizes {
            assertSnapshot(Screen.render(Fixtures.state(width: w, height: h, page: page)), named: "\(name)-\(w)x\(h)")
        }
    }

    @Test func tooSmallScreen() {
        assertSnapshot(Screen.render(Fixtures.state(width: 60, height: 16)), named: "too-small-60x16")
    }

    @Test func remoteBrokersHaveNoProcessColumns() {
        let state = Fixtures.state(page: .brokers, mode: .remote(bootstrap: "kafka-1:9092"))
        assertSnapshot(Screen.render(state), named: "brokers-remote-120x40")
    }

    @Test func helpOverlay() {
        for (w, h) in Self.sizes {
            var s = Fixtures.state(width: w, height: h, page: .brokers)
            s = Reducer.reduce(s, .key(.char("?"))).0
            assertSnapshot(Screen.render(s), named: "help-\(w)x\(h)")
        }
    }

    /// At 80×24 the help scrolls rather than cutting descriptions or leaving the commands out.
    @Test func helpScrollsToTheCommandsOnASmallScreen() {
        var s = Fixtures.state(width: 80, height: 24, page: .tail)
        for key: Key in [.char("?"), .end] { s = Reducer.reduce(s, .key(key)).0 }
        #expect(s.showHelp && s.helpScroll == HelpOverlay.maxScroll(s) && s.helpScroll > 0)
        let all = HelpOverlay.lines(s, width: 72).map { $0.map(\.text).joined() }
        #expect(!all.contains { $0.contains("…") }, "nothing is cut")
        #expect(all.contains { $0.hasPrefix(":seek beginning|end|OFFSET|TIME") })
        assertSnapshot(Screen.render(s), named: "help-tail-scrolled-80x24")
        s = Reducer.reduce(s, .key(.char("g"))).0
        #expect(s.helpScroll == 0 && s.showHelp)
        s = Reducer.reduce(s, .key(.escape)).0
        #expect(!s.showHelp)
    }

    @Test func remoteHeaderKeepsTheControllerAt80Columns() {
        var s = Fixtures.state(width: 80, height: 24, page: .brokers, mode: .remote(bootstrap: "kafka-1.example.com:9092"))
        var snap = s.snapshot!
        snap.brokers[0].underReplicatedCount = 1012
        s.snapshot = snap
        let grid = Screen.render(s)
        #expect(String((0..<80).map { grid[$0, 0].character }).contains("controller 1"))
        assertSnapshot(grid, named: "brokers-remote-80x24")
    }

    @Test func newTopicDialogShowsWhatIsWrong() {
        var s = Fixtures.state(width: 80, height: 24, page: .topics)
        for key: Key in [.char("n")] + "bad name".map({ .char($0) }) + [.enter] { s = Reducer.reduce(s, .key(key)).0 }
        guard case .newTopic(let form)? = s.dialog else {
            Issue.record("no form")
            return
        }
        #expect(form.error?.contains("only use letters") == true && !form.pending)
        assertSnapshot(Screen.render(s), named: "dialog-new-topic-80x24")
    }

    @Test func killDialog() {
        var s = Fixtures.state(width: 120, height: 40, page: .brokers)
        s = Reducer.reduce(s, .key(.char("x"))).0
        assertSnapshot(Screen.render(s), named: "dialog-kill-120x40")
    }

    @Test func deleteDialog() {
        var s = Fixtures.state(width: 80, height: 24, page: .topics)
        for key: Key in [.ctrl("d"), .char("a"), .char("u")] { s = Reducer.reduce(s, .key(key)).0 }
        assertSnapshot(Screen.render(s), named: "dialog-delete-80x24")
    }

    @Test func tailFilterPrompt() {
        var s = Fixtures.state(width: 120, height: 40, page: .tail)
        for c in "/value:re:c-[12]" { s = Reducer.reduce(s, .key(.char(c))).0 }
        assertSnapshot(Screen.render(s), named: "tail-filtered-120x40")
    }
}
