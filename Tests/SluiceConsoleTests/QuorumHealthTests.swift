import Testing
@testable import SluiceConsole

/// Losing the metadata quorum, the way the console sees it: the metadata stops changing (it keeps
/// its controller, leaders and ISRs, dead brokers included), so the console must say the quorum
/// is lost, count what dead leaders lead as offline, and never name a dead broker as controller.
@Suite struct QuorumHealthTests {
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

    /// The fixed cluster (broker 3 dead) with its three brokers as the quorum's voters.
    static func embedded(page: Page = .brokers, width: Int = 120, height: Int = 40) -> AppState {
        var s = Fixtures.state(width: width, height: height, page: page)
        s.embeddedVoters = [1, 2, 3]
        return s
    }

    /// Broker 1 (the controller, and a partition leader) killed too: two of three voters down.
    static func killOne(_ s: AppState) -> AppEvent {
        var one = s.processes[1]!
        one.status = .signaled(9)
        return .processes([one, s.processes[2]!, s.processes[3]!])
    }

    static func text(_ grid: CellGrid, line: Int) -> String {
        String((0..<grid.width).map { grid[$0, line].character })
    }

    @Test func twoOfThreeVotersDownIsANoQuorumState() {
        var s = Self.embedded()
        #expect(s.quorumLossReason == nil && s.activeControllerID == 1)
        let ledByOne = s.snapshot!.partitions.filter { $0.leader == 1 }.count
        #expect(ledByOne > 0 && s.partitionHealth.offline == 1)  // audit-log, led by dead broker 3 before

        (s, _) = run(s, [Self.killOne(s)])
        #expect(s.quorumLossReason == "2 of 3 voters down (1,3)")
        #expect(s.activeControllerID == nil)
        #expect(s.quorumLostSince == Fixtures.t0 + Double(Fixtures.polls))
        // The metadata still names broker 1 as leader: those partitions answer no one.
        #expect(s.partitionHealth.offline == 1 + ledByOne)
        #expect(s.events.last?.text == "Metadata quorum lost: 2 of 3 voters down (1,3). The metadata is frozen: no controller, "
                + "no leader elections, no topic changes")
        let header = Self.text(Screen.render(s), line: 0)
        #expect(header.contains("no quorum — metadata frozen since 12:00:40"), "\(header)")
        #expect(!header.contains("controller") && header.contains("offline \(1 + ledByOne)"), "\(header)")

        // The next poll still says controller 1 (the metadata is frozen): no controller event.
        var frozen = s.snapshot!
        frozen.sequence += 1
        frozen.takenAt += 1
        frozen.monotonic += 1
        let before = s.events.count
        (s, _) = run(s, [.snapshot(frozen)])
        #expect(s.events.count == before && s.activeControllerID == nil)

        // Broker 1 comes back: the quorum and its controller return.
        var back = s.processes[1]!
        back.status = .running
        back.startedAt = frozen.monotonic - 0.5
        (s, _) = run(s, [.processes([back, s.processes[2]!, s.processes[3]!])])
        frozen.monotonic += 1
        (s, _) = run(s, [.snapshot(frozen)])
        #expect(s.quorumLossReason == nil && s.quorumLostSince == nil && s.activeControllerID == 1)
        #expect(s.events.contains { $0.text == "Metadata quorum restored: broker 1 is the active controller" })
    }

    @Test func aDeadBrokerIsNeverNamedController() {
        var s = Self.embedded()
        // The metadata names broker 3 (dead) as controller: no "Controller changed … → broker 3".
        var snap = s.snapshot!
        snap.controllerID = 3
        (s, _) = run(s, [.snapshot(snap)])
        #expect(s.activeControllerID == nil)
        #expect(!s.events.contains { $0.text.contains("→ broker 3") })
        #expect(s.events.last?.text == "No active controller (broker 3, the last one named, is down)")
        #expect(Self.text(Screen.render(s), line: 0).contains("controller none"))
        snap.controllerID = 2
        (s, _) = run(s, [.snapshot(snap)])
        #expect(s.events.last?.text == "Controller changed: none → broker 2" && s.activeControllerID == 2)
    }

    @Test func remoteBrokersThatRefuseConnectionsAreDownEvenWhileListed() {
        var s = Fixtures.state(page: .brokers, mode: .remote(bootstrap: "kafka-1:9092"))
        var snap = s.snapshot!
        snap.quorum = ObservedQuorum(leaderID: 1, epoch: 3, voters: [1, 2, 3], answeredAt: snap.monotonic)
        (s, _) = run(s, [.snapshot(snap)])
        #expect(s.quorumLossReason == nil && s.brokerState(3) == .down)
        // Broker 1 dies: the frozen metadata still lists it, but it refuses connections.
        let i = snap.brokers.firstIndex { $0.id == 1 }!
        snap.brokers[i].probe = .failed("connection refused")
        snap.monotonic += 1
        snap.takenAt += 1
        (s, _) = run(s, [.snapshot(snap)])
        #expect(snap.brokers[i].registered && s.brokerState(1) == .down)
        #expect(s.quorumLossReason == "2 of 3 voters down (1,3)" && s.activeControllerID == nil)
        let grid = Screen.render(s)
        #expect(Self.text(grid, line: 0).contains("brokers 1/3 up"))
        #expect(!(0..<grid.height).map { Self.text(grid, line: $0) }.contains { $0.contains("★") })
        assertSnapshot(grid, named: "brokers-remote-no-quorum-120x40")
    }

    @Test func aFailedPollStillTellsWhichRemoteBrokersAreGone() {
        var s = Fixtures.state(page: .brokers, mode: .remote(bootstrap: "kafka-1:9092"))
        (s, _) = run(s, [.pollFailed("connection failed: connection refused"),
                         .brokerProbes([1: .failed("connection refused"), 2: .failed("connection refused"), 3: .failed("refused")])])
        #expect(s.brokerIDs.allSatisfy { s.brokerState($0) == .down })
        #expect(Self.text(Screen.render(s), line: 0).contains("brokers 0/3 up"))
    }

    @Test func anUnansweredDescribeQuorumMeansNoQuorum() {
        var s = Fixtures.state(page: .brokers, mode: .remote(bootstrap: "kafka-1:9092"))
        var snap = s.snapshot!
        // Dedicated controllers (not brokers the console can probe): only DescribeQuorum tells.
        snap.quorum = ObservedQuorum(leaderID: 3000, epoch: 3, voters: [3000, 3001, 3002], answeredAt: snap.monotonic - 20,
                                     unansweredSince: snap.monotonic - 5, lastError: "timed out")
        (s, _) = run(s, [.snapshot(snap)])
        #expect(s.quorumLossReason == nil)
        snap.monotonic += 4
        (s, _) = run(s, [.snapshot(snap)])
        #expect(s.quorumLossReason == "DescribeQuorum unanswered for 9.0s")
        snap.quorum = ObservedQuorum(leaderID: 3001, epoch: 4, voters: [3000, 3001, 3002], answeredAt: snap.monotonic)
        (s, _) = run(s, [.snapshot(snap)])
        #expect(s.quorumLossReason == nil)
        // No leader (an election): lost only when it lasts.
        snap.quorum = ObservedQuorum(leaderID: -1, epoch: 4, voters: [3000, 3001, 3002], answeredAt: snap.monotonic - 1,
                                     unansweredSince: snap.monotonic - 1, lastError: "no leader")
        (s, _) = run(s, [.snapshot(snap)])
        #expect(s.quorumLossReason == nil)
        snap.monotonic += 8
        (s, _) = run(s, [.snapshot(snap)])
        #expect(s.quorumLossReason == "no quorum leader for 9.0s")
    }

    @Test func theKillDialogSaysWhenNoQuorumWouldRemain() {
        var (s, _) = run(Self.embedded(), [.key(.char("x"))])
        guard case .killBroker(let dialog)? = s.dialog else {
            Issue.record("no kill dialog")
            return
        }
        #expect(dialog.quorum == .loses(left: 1, voters: 3, majority: 2))
        #expect(dialog.leadersToMove == 0 && dialog.wouldGoOffline == s.snapshot!.partitions.filter { $0.leader == 1 }.count)
        let text = dialog.lines(width: 66).flatMap { $0.map(\.text) }.joined()
        #expect(text.contains("The cluster loses its metadata quorum") && !text.contains("another broker will take over"))
        assertSnapshot(Screen.render(s), named: "dialog-kill-no-quorum-120x40")
        // With all three up, killing the controller keeps a quorum: another voter takes over.
        var healthy = Self.embedded()
        var three = healthy.processes[3]!
        three.status = .running
        healthy.processes[3] = three
        var snap = healthy.snapshot!
        let i = snap.brokers.firstIndex { $0.id == 3 }!
        snap.brokers[i].registered = true
        snap.brokers[i].probe = .answered(rtt: 0.001)
        healthy.snapshot = snap
        (s, _) = run(healthy, [.key(.char("x"))])
        guard case .killBroker(let keeps)? = s.dialog else {
            Issue.record("no kill dialog")
            return
        }
        #expect(keeps.quorum == .keeps(left: 2, voters: 3) && keeps.isController)
        #expect(keeps.lines(width: 66).flatMap { $0.map(\.text) }.joined().contains("another voter takes over"))
    }

    @Test func noQuorumScreens() {
        for (w, h) in [(120, 40), (80, 24)] {
            var s = Self.embedded(width: w, height: h)
            (s, _) = run(s, [Self.killOne(s)])
            assertSnapshot(Screen.render(s), named: "brokers-no-quorum-\(w)x\(h)")
            s.page = .partitions(.all)
            Reducer.normalizeSelection(&s)
            assertSnapshot(Screen.render(s), named: "partitions-no-quorum-\(w)x\(h)")
            s.page = .topics
            Reducer.normalizeSelection(&s)
            assertSnapshot(Screen.render(s), named: "topics-no-quorum-\(w)x\(h)")
        }
    }
}
