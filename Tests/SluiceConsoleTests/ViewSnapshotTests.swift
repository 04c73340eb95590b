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
