import Foundation
import SluiceBase
import SluiceClient
import Testing
@testable import SluiceConsole

/// Drives the reducer with keys and events the way a user and the runtime would, and checks what
/// the user would see (page, selection, dialogs, status) and what the runtime is asked to do.
@Suite struct ReducerTests {
    /// Feeds events; returns the final state and every effect asked for.
    func run(_ state: AppState, _ events: [AppEvent]) -> (AppState, [Effect]) {
        var s = state
        var all: [Effect] = []
        for e in events {
            let (next, effects) = Reducer.reduce(s, e)
            s = next
            all += effects
        }
        return (s, all)
    }

    func keys(_ text: String) -> [AppEvent] { text.map { .key(.char($0)) } }

    func selected(_ s: AppState) -> String? { Reducer.selectedID(s) }

    @Test func numbersTabAndEscapeNavigate() {
        var (s, _) = run(Fixtures.state(), keys("2"))
        #expect(s.page == .topics)
        (s, _) = run(s, [.key(.tab), .key(.tab)])
        #expect(s.page == .groups)
        (s, _) = run(s, [.key(.backTab)])
        #expect(s.page == .partitions(.all))
        (s, _) = run(s, keys("2j") + [.key(.enter)])  // topics sorted by name: audit-log, clicks, ...
        #expect(s.page == .partitions(.topic("clicks")))
        #expect(Screen.rowIDs(s, page: s.page) == ["clicks-0", "clicks-1"])
        (s, _) = run(s, [.key(.escape)])
        #expect(s.page == .topics && selected(s) == "clicks")
    }

    @Test func selectionFollowsItsRowAcrossRefreshes() {
        var (s, _) = run(Fixtures.state(page: .topics), keys("jjj"))
        #expect(selected(s) == "payments")
        // A new topic sorts before it: the selection stays on payments, one row lower.
        var snap = s.snapshot!
        snap.topics.insert(TopicSnapshot(name: "aaa-new", partitions: []), at: 0)
        (s, _) = run(s, [.snapshot(snap)])
        #expect(selected(s) == "payments")
        #expect(s.position(.topics).selectedIndex == 4)
        // The selected topic is deleted: the selection stays at its index, on the row now there.
        snap.topics.removeAll { $0.name == "payments" }
        (s, _) = run(s, [.snapshot(snap)])
        #expect(selected(s) == "orders")
    }

    @Test func killAsksFirstAndDefaultsToNo() {
        var (s, effects) = run(Fixtures.state(page: .brokers), keys("x"))
        guard case .killBroker(let dialog)? = s.dialog else {
            Issue.record("no kill dialog")
            return
        }
        #expect(dialog.broker == 1 && dialog.isController)
        #expect(dialog.leadersToMove == Fixtures.history.snapshot.partitions.filter { $0.leader == 1 }.count)
        (s, effects) = run(s, [.key(.enter)])
        #expect(s.dialog == nil && effects.isEmpty && s.status?.text == "Kill cancelled")
        (s, effects) = run(s, keys("xy"))
        #expect(effects == [.killBroker(1)])
        // Broker 3 is already dead: nothing to kill.
        (s, effects) = run(s, keys("jjx"))
        #expect(s.dialog == nil && effects.isEmpty && s.status?.isError == true)
    }

    @Test func remoteClustersSayKillRestartAndAddAreUnavailable() {
        for key in ["x", "r", "a"] {
            let (s, effects) = run(Fixtures.state(page: .brokers, mode: .remote(bootstrap: "k:9092")), keys(key))
            #expect(effects.isEmpty && s.dialog == nil)
            #expect(s.status?.isError == true && s.status?.text.contains("remote cluster") == true)
        }
        let (s, _) = run(Fixtures.state(page: .brokers, mode: .remote(bootstrap: "k:9092")), keys(":kill 1") + [.key(.enter)])
        #expect(s.prompt?.error?.contains("remote cluster") == true)
    }

    @Test func restartAndAddAskTheSupervisor() {
        var (_, effects) = run(Fixtures.state(page: .brokers), keys("jjr"))
        #expect(effects == [.restartBroker(3)])
        (_, effects) = run(Fixtures.state(page: .brokers), keys("a"))
        #expect(effects == [.addBroker])
    }

    /// `r` on a running broker asks first (it stops it); a down one starts at once; while a
    /// restart is under way, more `r` (or `:restart`) do nothing but say so.
    @Test func restartingARunningBrokerAsksAndRepeatsAreIgnored() {
        var (s, effects) = run(Fixtures.state(page: .brokers), keys("r"))
        guard case .restartBroker(let dialog)? = s.dialog else {
            Issue.record("no restart dialog")
            return
        }
        #expect(dialog.broker == 1 && dialog.isController && effects.isEmpty)
        (s, effects) = run(s, [.key(.enter)])
        #expect(s.dialog == nil && effects.isEmpty && s.status?.text == "Restart cancelled")
        (s, effects) = run(s, keys("ry"))
        #expect(effects == [.restartBroker(1)])
        // The supervisor says broker 1 is stopping to restart: r and :restart are ignored.
        var one = s.processes[1]!
        one.restarting = true
        (s, _) = run(s, [.processes([one, s.processes[2]!, s.processes[3]!])])
        #expect(s.brokerState(1) == .stopping)
        (s, effects) = run(s, keys("rrr") + keys(":restart 1") + [.key(.enter)])
        #expect(effects.isEmpty && s.dialog == nil && s.status?.text.contains("already restarting") == true)
        // :restart on a running broker asks too.
        (s, _) = run(Fixtures.state(page: .events), keys(":restart 2") + [.key(.enter)])
        if case .restartBroker(let d)? = s.dialog { #expect(d.broker == 2) } else { Issue.record("no dialog for :restart 2") }
    }

    @Test func newTopicFormValidatesThenShowsTheBrokersAnswer() {
        var (s, effects) = run(Fixtures.state(page: .topics), keys("n") + [.key(.enter)])
        guard case .newTopic(let empty)? = s.dialog else {
            Issue.record("no form")
            return
        }
        #expect(empty.error == "The topic needs a name" && effects.isEmpty)
        // name, partitions 12, RF 2, cleanup compact, retention 12h
        (s, effects) = run(s, keys("events") + [.key(.tab), .key(.backspace)] + keys("12") + [.key(.tab), .key(.backspace)]
                           + keys("2") + [.key(.tab), .key(.right), .key(.tab), .key(.backspace), .key(.backspace)] + keys("12h")
                           + [.key(.enter)])
        #expect(effects == [.createTopic(TopicSpec(name: "events", partitions: 12, replicationFactor: 2,
                                                   configs: ["cleanup.policy": "compact", "retention.ms": "43200000"]))])
        (s, _) = run(s, [.topicCreated(name: "events", error: "INVALID_REPLICATION_FACTOR (38): topic 'events': only 2 brokers")])
        guard case .newTopic(let refused)? = s.dialog else {
            Issue.record("the form closed on an error")
            return
        }
        #expect(refused.error?.contains("INVALID_REPLICATION_FACTOR") == true && !refused.pending)
        (s, effects) = run(s, [.key(.enter), .topicCreated(name: "events", error: nil)])
        #expect(s.dialog == nil && s.status?.text == "Created topic events" && effects.last == .pollNow)
    }

    @Test func deletingATopicNeedsItsNameTyped() {
        var (s, effects) = run(Fixtures.state(page: .topics), keys("jj") + [.key(.ctrl("d"))] + keys("order") + [.key(.enter)])
        guard case .deleteTopic(let d)? = s.dialog else {
            Issue.record("no dialog")
            return
        }
        #expect(d.topic == "orders" && d.error != nil && effects.isEmpty)
        (s, effects) = run(s, keys("s") + [.key(.enter)])
        #expect(effects == [.deleteTopic("orders")])
        (s, _) = run(s, [.topicDeleted(name: "orders", error: nil)])
        #expect(s.dialog == nil && s.status?.text == "Deleted topic orders")
    }

    @Test func internalTopicsAreNotOfferedForDeletion() {
        var state = Fixtures.state(page: .topics)
        state.snapshot!.topics.insert(TopicSnapshot(name: "__consumer_offsets", isInternal: true, partitions: []), at: 0)
        state.snapshot!.topics.append(TopicSnapshot(name: "_schemas", isInternal: true, partitions: []))
        var (s, effects) = run(state, [.key(.home), .key(.ctrl("d"))])
        #expect(selected(s) == "__consumer_offsets")
        #expect(s.dialog == nil && effects.isEmpty)
        #expect(s.status?.isError == true)
        #expect(s.status?.text == "Not deleted: __consumer_offsets is a Kafka internal topic and cannot be deleted: "
                + "it holds the consumer groups' committed offsets")
        // Another cluster's internal topic (flagged by its metadata) is refused too.
        (s, effects) = run(state, [.key(.home), .key(.down), .key(.ctrl("d"))])
        #expect(selected(s) == "_schemas" && s.dialog == nil && effects.isEmpty)
        #expect(s.status?.text.contains("_schemas is an internal topic") == true)
    }

    /// The Headers field's syntax: `name=value` pairs by commas, spaces around trimmed, `name=`
    /// empty, `name` alone null, backslash escapes, no nameless header.
    @Test func produceHeadersHaveADefinedSyntax() {
        func headers(_ text: String) -> Result<[TailMessage.Header], FormError> { HeaderSyntax.parse(text) }
        func h(_ k: String, _ v: String?) -> TailMessage.Header { TailMessage.Header(key: k, value: v.map { Array($0.utf8) }) }
        #expect(headers("=v,k=,a= b ") == .failure(FormError("Header 1 has no name: write name=value (\\, and \\= escape a comma or '=')")))
        #expect(headers("k=,a= b ,n") == .success([h("k", ""), h("a", "b"), h("n", nil)]))
        #expect(headers(#"x=1\,2, y\=z = 3 ,s=\ padded\ ,,"#) == .success([h("x", "1,2"), h("y=z", "3"), h("s", " padded ")]))
        #expect(headers("") == .success([]) && headers(" , ") == .success([]))
        #expect(headers(#"a=b\"#).isFailure)
        // Through the form: the first problem is shown, nothing is sent.
        var (s, effects) = run(Fixtures.state(page: .topics), keys("jjp") + [.key(.tab), .key(.tab), .key(.tab), .key(.tab)]
                               + keys("=v") + [.key(.enter)])
        guard case .produce(let form)? = s.dialog else {
            Issue.record("no produce form")
            return
        }
        #expect(effects.isEmpty && form.error?.hasPrefix("Header 1 has no name") == true)
        (s, effects) = run(s, [.key(.ctrl("u"))] + keys("trace=,src=console,flag") + [.key(.enter)])
        #expect(effects == [.produce(ProduceSpec(topic: "orders", value: [], headers: [h("trace", ""), h("src", "console"), h("flag", nil)]))])
    }

    /// A null key or header value never looks like the text "null".
    @Test func nullsDoNotLookLikeTheTextNull() {
        var s = Fixtures.state(page: .tail)
        let textNull = TailMessage(partition: 0, offset: 30_000, timestamp: 0, key: Array("null".utf8), value: nil,
                                   headers: [TailMessage.Header(key: "n", value: nil), TailMessage.Header(key: "e", value: [])])
        s.tail.append([textNull])
        Reducer.normalizeSelection(&s)
        let row = TailView.table(s, window: (s.tail.messages.count - 1)..<s.tail.messages.count).rows[0]
        #expect(row.cells[3] == [Span("null", .text)] && row.cells[4] == [Span("∅", .muted)])
        #expect(row.cells[5] == [Span("n=", .text), Span("∅", .muted), Span(",e=", .text), Span("", .text)])
        let detail = MessageDetailView.lines(s, id: textNull.id, width: 80).map { $0.map(\.text).joined() }
        #expect(detail.contains("Key         null") && detail.contains("Value       ∅ (null)"))
        #expect(detail.contains("Headers     n = ∅ (null)") && detail.contains("            e = (empty)"))
    }

    @Test func filterAppliesWhileTypingAndEscapeRestoresIt() {
        var (s, _) = run(Fixtures.state(page: .topics), keys("/pay"))
        #expect(Screen.rowIDs(s, page: .topics) == ["payments"])
        (s, _) = run(s, [.key(.escape)])
        #expect(Screen.rowIDs(s, page: .topics).count == 4 && s.prompt == nil)
        (s, _) = run(s, keys("/ord") + [.key(.enter)])
        #expect(Screen.rowIDs(s, page: .topics) == ["orders"] && s.prompt == nil)
        (s, _) = run(s, [.key(.escape)])  // Esc on a filtered top-level list clears the filter
        #expect(Screen.rowIDs(s, page: .topics).count == 4)
    }

    @Test func tailFollowsUntilTheUserScrollsUp() {
        var s = Fixtures.state(page: .tail)
        #expect(selected(s) == "2:20029" && s.tail.follow)
        let more = TailMessage(partition: 0, offset: 20030, timestamp: 0, key: nil, value: Array("x".utf8))
        (s, _) = run(s, [.tailMessages([more])])
        #expect(selected(s) == "0:20030")
        (s, _) = run(s, keys("k"))
        #expect(!s.tail.follow && selected(s) == "2:20029")
        let again = TailMessage(partition: 1, offset: 20031, timestamp: 0, key: nil, value: Array("y".utf8))
        (s, _) = run(s, [.tailMessages([again])])
        #expect(selected(s) == "2:20029")
        (s, _) = run(s, [.key(.end)])
        #expect(s.tail.follow && selected(s) == "1:20031")
        (s, _) = run(s, [.key(.enter)])
        #expect(s.page == .messageDetail("1:20031"))
    }

    @Test func tailKeysPauseSeekAndFilter() {
        var (s, effects) = run(Fixtures.state(page: .tail), keys(" "))
        #expect(s.tail.paused && effects == [.setTailPaused(true)])
        (s, effects) = run(s, keys("b"))
        #expect(effects == [.seekTail(.beginning)] && s.tail.messages.isEmpty && !s.tail.paused)
        (s, effects) = run(s, keys("o") + keys("42") + [.key(.enter)])
        #expect(effects == [.seekTail(.offset(42))])
        (s, effects) = run(s, keys("@") + keys("2024-05-01T12:00:10") + [.key(.enter)])
        #expect(effects == [.seekTail(.timestamp(1_714_564_810_000))])
        (s, _) = run(Fixtures.state(page: .tail), keys("/value:re:c-[12]"))
        #expect(Screen.rowIDs(s, page: .tail).count == 15)
        (s, _) = run(s, keys("["))
        #expect(s.prompt?.error?.contains("invalid regular expression") == true)
        #expect(Screen.rowIDs(s, page: .tail).count == 15)
    }

    /// `b` on a busy topic shows its first messages and stays on them: no autoscroll, the first
    /// 2,000 kept, the consumer stopped once they arrived (Space continues live).
    @Test func seekingToTheBeginningStaysThere() {
        var (s, effects) = run(Fixtures.state(page: .tail), keys("b"))
        #expect(effects == [.seekTail(.beginning)] && s.tail.anchored && !s.tail.follow)
        func batch(_ from: Int, _ count: Int) -> AppEvent {
            .tailMessages((from..<(from + count)).map { TailMessage(partition: 0, offset: Int64($0), timestamp: 0, key: nil,
                                                                    value: Array("m\($0)".utf8)) })
        }
        (s, _) = run(s, [batch(0, 500)])
        #expect(selected(s) == "0:0")
        (s, _) = run(s, [batch(500, 1000), batch(1500, 1000)])
        #expect(s.tail.messages.count == TailState.capacity && s.tail.messages.first?.offset == 0)
        #expect(s.tail.messages.last?.offset == Int64(TailState.capacity - 1) && selected(s) == "0:0")
        (s, effects) = run(s, [.tailWindowFull])
        #expect(s.tail.paused && s.tail.windowFull && effects == [.setTailPaused(true)])
        #expect(s.status?.text.contains("Space continues") == true)
        #expect(FooterView.hints(s).contains { $0 == ("Space", "resume") })
        // Space: live from there on (the oldest make room for new ones).
        (s, effects) = run(s, keys(" "))
        #expect(effects == [.setTailPaused(false)] && !s.tail.paused && !s.tail.anchored)
        (s, _) = run(s, [batch(2000, 10)])
        #expect(s.tail.messages.count == TailState.capacity && s.tail.messages.last?.offset == 2009)
        // e follows the end.
        (s, effects) = run(s, keys("e"))
        #expect(effects == [.seekTail(.end)] && s.tail.follow && !s.tail.anchored)
    }

    /// `@`: a time before the log start (even before 1970) is the beginning; `0` is 1970; huge
    /// durations do not overflow.
    @Test func seekingToATimeBeforeTheLogIsTheBeginning() {
        let now = Fixtures.t0 + Double(Fixtures.polls)
        for (typed, expected) in [("-100000d", Int64(0)), ("0", 0), ("-1000d", Int64((now - 1000 * 86400) * 1000)),
                                  ("1969-12-31T00:00:00", 0), ("-99999999999999999999d", 0)] {
            let (s, effects) = run(Fixtures.state(page: .tail), keys("@" + typed) + [.key(.enter)])
            #expect(effects == [.seekTail(.timestamp(expected))], "\(typed): \(effects)")
            #expect(s.prompt == nil && s.tail.anchored)
        }
        #expect(Commands.parseTime("-1e400d", now: now, zone: .gmt) == nil)
    }

    @Test func aTimeBefore1970AsksListOffsetsForTheBeginning() async throws {
        let client = KafkaClient(configuration: ClientConfiguration(bootstrapServers: [BrokerAddress(bootstrapServer: "127.0.0.1:1")!]))
        let tp = TopicPartition("t", 0)
        let starts = try await TailRunner.startPositions(.timestamp(0), [tp], client: client)
        #expect(starts == [tp: .earliest])
        await client.close()
    }

    /// The tailed topic is deleted: the tail says so (not "live"); created again, the tail starts
    /// over with the new topic alone.
    @Test func aDeletedTopicsTailSaysSoAndStartsOverWhenItIsBack() {
        var (s, _) = run(Fixtures.state(page: .tail), [.tailTopicMissing(deleted: true)])
        #expect(s.tail.topicMissing == .deleted && s.status?.text == "Topic orders was deleted: the tail waits for it to be created again")
        #expect(TabBar.context(s).contains("orders (all partitions) deleted") && !TabBar.context(s).contains("live"))
        #expect(s.tail.messages.count == 30, "what the old topic had stays visible")
        (s, _) = run(s, [.tailTopicRecreated])
        #expect(s.tail.messages.isEmpty && s.tail.topicMissing == nil && s.tail.position == .beginning && s.tail.follow)
        #expect(s.status?.text == "Topic orders was created again: tailing the new topic from its beginning")
        (s, _) = run(s, [.tailMessages([TailMessage(partition: 0, offset: 0, timestamp: 0, key: nil, value: Array("new".utf8))])])
        #expect(s.tail.messages.map(\.offset) == [0] && TabBar.context(s).contains("live"))
        // A topic that never existed: said as such.
        (s, _) = run(Fixtures.state(page: .tail), [.tailTopicMissing(deleted: false)])
        #expect(s.status?.text == "No topic orders: the tail waits for it to be created")
    }

    @Test func tailFromTopicsStartsAConsumerOnTheSelection() {
        var (s, effects) = run(Fixtures.state(page: .topics), keys("jjt"))
        #expect(effects == [.startTail(TailTarget(topic: "orders"), .recent(100))])
        #expect(s.page == .tail && s.tail.messages.isEmpty)
        (s, effects) = run(Fixtures.state(page: .partitions(.topic("payments"))), keys("j") + [.key(.enter)])
        #expect(effects == [.startTail(TailTarget(topic: "payments", partition: 1), .recent(100))])
        (s, effects) = run(Fixtures.state(page: .events), keys(":tail clicks:1") + [.key(.enter)])
        #expect(effects == [.startTail(TailTarget(topic: "clicks", partition: 1), .recent(100))])
    }

    /// Events (newest first) follow the newest while the selection is on the top row; moved
    /// down, new events are counted in an "N new" marker; shown anew, the view is at the newest.
    @Test func eventsFollowTheNewestAndCountWhatArrivesWhileTheyDoNot() {
        func event(_ text: String) -> AppEvent {
            .processEvent(ClusterEvent(time: Fixtures.t0 + 50, kind: .process, severity: .info, text: text))
        }
        var (s, _) = run(Fixtures.state(page: .events), [event("first new")])
        #expect(selected(s) == "\(s.events.last!.id)" && s.eventsFollow)
        (s, _) = run(s, keys("jj") + [event("second new"), event("third new")])
        #expect(!s.eventsFollow && s.eventsUnseen == 2)
        #expect(TabBar.newEventsMarker(s) == " 2 new ↑ g ")
        let tabs = Screen.render(s)
        #expect(String((0..<tabs.width).map { tabs[$0, 2].character }).contains("2 new ↑ g"))
        // Leaving and coming back: the newest, no marker.
        (s, _) = run(s, keys("16"))
        #expect(selected(s) == "\(s.events.last!.id)" && s.eventsFollow && s.eventsUnseen == 0)
        // g (top) follows again.
        (s, _) = run(s, keys("jg") + [event("fourth new")])
        #expect(selected(s) == "\(s.events.last!.id)" && s.eventsUnseen == 0)
    }

    /// Enter on an event shows all of it: a long partition list is cut in the list ("+N more"),
    /// complete on the detail page.
    @Test func enterOnAnEventShowsItInFull() {
        let old = Fixtures.history.snapshot
        var new = old
        for t in new.topics.indices where new.topics[t].name == "orders" {
            for p in new.topics[t].partitions.indices { new.topics[t].partitions[p].isr = [] }
        }
        let derived = EventDeriver.events(from: old, to: new).filter { $0.kind == .isr }
        #expect(derived.contains { $0.text.contains("+2 more") && $0.detail?.contains("orders-5") == true })
        var s = Fixtures.state(width: 80, height: 24, page: .events)
        Reducer.record(&s, derived)
        (s, _) = run(s, [.key(.home), .key(.enter)])
        guard case .eventDetail(let id) = s.page else {
            Issue.record("no event detail: \(String(describing: s.page))")
            return
        }
        #expect(s.events.last?.id == id)
        let text = EventDetailView.lines(s, id: id, width: 80).map { $0.map(\.text).joined() }.joined(separator: "\n")
        #expect(text.contains(s.events.last!.text.prefix(20)) && text.contains("orders-5"))
        assertSnapshot(Screen.render(s), named: "event-detail-80x24")
        (s, _) = run(s, [.key(.escape)])
        #expect(s.page == .events)
    }

    @Test func sortCyclesAndReverses() {
        var (s, _) = run(Fixtures.state(page: .topics), keys("s"))
        #expect(Screen.rowIDs(s, page: .topics).first == "audit-log")  // msg/s ascending: idle topics first
        (s, _) = run(s, keys("S"))
        #expect(Screen.rowIDs(s, page: .topics).first == "orders")
    }

    @Test func themesCycleUnlessColoursAreOff() {
        var (s, effects) = run(Fixtures.state(), keys("T"))
        #expect(s.themeName == "high-contrast" && effects == [.applyTheme("high-contrast")])
        var mono = Fixtures.state()
        mono.colorEnabled = false
        (s, effects) = run(mono, keys("T"))
        #expect(effects.isEmpty && s.status?.text.contains("NO_COLOR") == true)
    }

    @Test func refreshIntervalSteps() {
        var (s, effects) = run(Fixtures.state(), keys("+"))
        #expect(s.refreshInterval == 0.5 && effects == [.setRefreshInterval(0.5)])
        (s, effects) = run(s, keys(":refresh 5") + [.key(.enter)])
        #expect(s.refreshInterval == 5 && effects == [.setRefreshInterval(5)])
        (s, effects) = run(s, keys(":refresh 0") + [.key(.enter)])
        #expect(effects.isEmpty && s.prompt?.error != nil)
        (s, effects) = run(s, [.key(.escape)] + keys(":frobnicate") + [.key(.enter)])
        #expect(s.prompt?.error?.contains("unknown command") == true)
    }

    /// Messages say what happened: unreachable is not "refused"; unknown names are named.
    @Test func messagesSayWhatHappened() {
        #expect(ClusterActions.failure(KafkaClientError(.connection, "connection refused", resource: "broker 1 at h:1"))
                == "Cannot reach the cluster: connection failed: broker 1 at h:1: connection refused")
        #expect(ClusterActions.failure(KafkaClientError.broker(.invalidReplicationFactor, resource: "topic 'x'"))
                .hasPrefix("The cluster refused: INVALID_REPLICATION_FACTOR (38)"))
        #expect(ClusterActions.failure(KafkaClientError(.timeout, "no answer to Produce within 15 seconds"), writing: true)
                .hasSuffix("The message may have been written; check before sending it again"))
        var (s, _) = run(Fixtures.state(page: .topics), keys("n") + keys("x") + [.key(.enter)])
        (s, _) = run(s, [.topicCreated(name: "x", error: "Cannot reach the cluster: connection failed: connection refused")])
        if case .newTopic(let form)? = s.dialog {
            #expect(form.error == "Cannot reach the cluster: connection failed: connection refused")
        } else {
            Issue.record("the form closed")
        }
        (s, _) = run(Fixtures.state(), keys(":partitions nosuch") + [.key(.enter)])
        #expect(s.prompt?.error == "no topic nosuch (the Topics view lists them)" && s.page == .brokers)
        (s, _) = run(Fixtures.state(), keys(":group nosuch") + [.key(.enter)])
        #expect(s.prompt?.error == "no group nosuch" && s.page == .brokers)
        (s, _) = run(Fixtures.state(), keys(":group billing") + [.key(.enter)])
        #expect(s.page == .groupDetail("billing"))
    }

    /// A remote cluster that does not answer at all: said on every line, not "waiting" forever.
    @Test func anUnreachableClusterIsSaidToBe() {
        var s = AppState(mode: .remote(bootstrap: "127.0.0.1:1"), width: 80, height: 24, themeNames: ["dark"], themeName: "dark")
        s.timeZone = TimeZone(identifier: "UTC")!
        (s, _) = run(s, [.pollFailed("connection failed: bootstrap server 127.0.0.1:1: connection refused")])
        #expect(BrokersView.table(s).emptyMessage == "Nothing answers at 127.0.0.1:1; retrying (check the address: --bootstrap host:port)")
        assertSnapshot(Screen.render(s), named: "remote-unreachable-80x24")
    }

    @Test func lostAndRegainedContactAreEvents() {
        var (s, _) = run(Fixtures.state(), [.pollFailed("connection refused")])
        #expect(s.events.last?.text == "Lost contact with the cluster: connection refused")
        (s, _) = run(s, [.pollFailed("connection refused")])
        #expect(s.events.filter { $0.text.hasPrefix("Lost contact") }.count == 1)
        (s, _) = run(s, [.snapshot(s.snapshot!)])
        #expect(s.events.contains { $0.text == "The cluster answers again" } && s.pollError == nil)
    }

    /// Ctrl-C quits everywhere, as the help says, dialogs and prompts included.
    @Test func ctrlCQuitsFromDialogsAndPrompts() {
        for opening in [keys("n"), keys(":"), keys("/"), keys("x"), keys("?")] {
            let (s, effects) = run(Fixtures.state(), opening + [.key(.ctrl("c"))])
            #expect(effects == [.quit] && s.quitting && s.dialog == nil && s.prompt == nil)
        }
    }

    @Test func smallThings() {
        // - goes up to 60 s (the longest refresh allowed).
        var (s, _) = run(Fixtures.state(), keys(":refresh 10") + [.key(.enter)] + keys("--"))
        #expect(s.refreshInterval == 60)
        (s, _) = run(s, keys("-"))
        #expect(s.status?.text == "Refresh is already every 1m00s")
        // A 250-character name is refused (not silently cut to 249).
        let long = String(repeating: "a", count: 250)
        (s, _) = run(Fixtures.state(page: .topics), keys("n" + long) + [.key(.enter)])
        if case .newTopic(let form)? = s.dialog {
            #expect(form.value("Name").count == 250 && form.error == "Topic names are at most 249 characters (this one has 250)")
        } else {
            Issue.record("no form")
        }
        // An earlier outcome does not stay beside a dialog that shows its own.
        (s, _) = run(Fixtures.state(page: .topics), [.topicCreated(name: "x", error: nil)] + keys("n"))
        #expect(s.status == nil)
        // The quit screen says each broker's progress.
        (s, _) = run(Fixtures.state(width: 80, height: 24), keys("q") + [.stopProgress([
            BrokerStop(id: 1, phase: .exited, elapsed: 0.21), BrokerStop(id: 2, phase: .stopping, elapsed: 0.8),
            BrokerStop(id: 3, phase: .alreadyDown), BrokerStop(id: 4, phase: .killed("no metadata quorum to confirm its controlled shutdown"), elapsed: 1.02),
        ])])
        assertSnapshot(Screen.render(s), named: "quitting-80x24")
    }

    @Test func aTooSmallTerminalOnlyQuits() {
        var (s, effects) = run(Fixtures.state(), [.resize(width: 70, height: 20)] + keys("2n"))
        #expect(s.page == .brokers && s.dialog == nil && effects.isEmpty)
        (s, effects) = run(s, keys("q"))
        #expect(effects == [.quit] && s.quitting)
    }

    @Test func signalsQuitEvenWithADialogOpen() {
        let (s, effects) = run(Fixtures.state(), keys("n") + [.terminate("SIGTERM")])
        #expect(effects == [.quit] && s.quitting)
    }

    @Test func processTableDecidesBrokerStates() {
        var s = Fixtures.state()
        #expect(s.brokerState(1) == .up && s.brokerState(3) == .down)
        // Restarted: running, but no snapshot taken since lists it → starting.
        var p3 = s.processes[3]!
        p3.status = .running
        p3.startedAt = s.snapshot!.monotonic + 1
        p3.seenUpSinceStart = false
        (s, _) = run(s, [.processes([s.processes[1]!, s.processes[2]!, p3])])
        #expect(s.brokerState(3) == .starting)
        // A later snapshot lists it: up.
        var snap = s.snapshot!
        snap.monotonic += 5
        if let i = snap.brokers.firstIndex(where: { $0.id == 3 }) { snap.brokers[i].registered = true }
        (s, _) = run(s, [.snapshot(snap)])
        #expect(s.brokerState(3) == .up && s.processes[3]!.seenUpSinceStart)
        // Then it leaves the metadata while running: fenced.
        snap.monotonic += 5
        if let i = snap.brokers.firstIndex(where: { $0.id == 3 }) { snap.brokers[i].registered = false }
        (s, _) = run(s, [.snapshot(snap)])
        #expect(s.brokerState(3) == .fenced)
    }

    /// The demo load keeps running through an outage and says so while it cannot work: one event
    /// when it starts failing, the trouble in the header and the status line, one when it recovers.
    @Test func demoLoadTroubleIsShownUntilItRecoversAndTailErrorsClearWhenReadingResumes() {
        var (s, effects) = run(Fixtures.state(), keys("l"))
        #expect(s.demoLoad && effects == [.setDemoLoad(true)])
        (s, _) = run(s, [.demoLoadStatus("consumer: COORDINATOR_NOT_AVAILABLE (15)"), .tick(wall: s.now + 11, monotonic: s.monotonicNow + 11)])
        #expect(s.demoLoad && s.demoLoadTrouble == "consumer: COORDINATOR_NOT_AVAILABLE (15)")
        #expect(s.events.last?.text == "Demo load cannot run, retrying: consumer: COORDINATOR_NOT_AVAILABLE (15)")
        (s, _) = run(s, [.demoLoadStatus("producer: REQUEST_TIMED_OUT (7); consumer: COORDINATOR_NOT_AVAILABLE (15)")])
        #expect(s.events.filter { $0.text.hasPrefix("Demo load cannot run") }.count == 1)
        var snap = s.snapshot!
        snap.errors = []
        snap.lastingErrors = []
        (s, _) = run(s, [.snapshot(snap)])
        let grid = Screen.render(s)
        let line = { (y: Int) in String((0..<grid.width).map { grid[$0, y].character }) }
        #expect(line(1).contains("demo load retrying"), "\(line(1))")
        #expect(line(grid.height - 2).contains("Demo load retrying: producer: REQUEST_TIMED_OUT (7)"), "\(line(grid.height - 2))")
        (s, _) = run(s, [.demoLoadStatus(nil)])
        #expect(s.demoLoadTrouble == nil && s.events.last?.text == "Demo load recovered: producing and consuming again")
        let after = Screen.render(s)
        #expect(String((0..<after.width).map { after[$0, 1].character }).contains("demo load on"))
        (s, _) = run(s, [.tailFailed("broker gone (retrying)")])
        #expect(s.tail.error == "broker gone (retrying)")
        (s, _) = run(s, [.tailMessages([])])
        #expect(s.tail.error == nil && s.tail.messages.count == 30)
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
}
