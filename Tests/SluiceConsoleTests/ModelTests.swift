import SluiceBase
import Testing
@testable import SluiceConsole

@Suite struct ModelTests {
    func observation(at t: Double, hw: Int64, size: Int64, committed: Int64?, leader: Int32 = 1, isr: [Int32] = [1, 2],
                     controller: Int32 = 1, topics: [String] = ["t"], brokers: [Int32] = [1, 2],
                     groupState: String = "Stable") -> ClusterObservation {
        ClusterObservation(
            takenAt: 1000 + t, monotonic: t, clusterID: "c", controllerID: controller,
            brokers: brokers.map { ObservedBroker(id: $0, host: "h", port: 9000 + $0) },
            topics: topics.map { name in
                ObservedTopic(name: name, partitions: [ObservedPartition(partition: 0, leader: leader, replicas: [1, 2], isr: isr,
                                                                        highWatermark: hw, logStartOffset: 0)])
            },
            logDirs: [leader: [TopicPartition("t", 0): size]],
            groups: committed.map { [ObservedGroup(id: "g", state: groupState, committed: [TopicPartition("t", 0): $0])] } ?? []
        )
    }

    @Test func ratesComeFromSuccessivePolls() {
        let first = SnapshotBuilder.build(observation(at: 10, hw: 100, size: 10_000, committed: 50), previous: nil)
        #expect(first.totals == Throughput())
        let second = SnapshotBuilder.build(observation(at: 12, hw: 400, size: 40_000, committed: 250), previous: first)
        let p = second.topics[0].partitions[0]
        #expect(p.throughput.messagesIn == 150)      // (400 - 100) / 2 s
        #expect(p.throughput.bytesIn == 15_000)      // (40000 - 10000) / 2 s
        #expect(p.throughput.messagesOut == 100)     // committed 50 → 250 in 2 s
        #expect(p.throughput.bytesOut == 10_000)     // 100 msg/s × 100 bytes per message
        #expect(second.groups[0].totalLag == 150 && second.topics[0].lag == 150)
        #expect(second.groups[0].messagesPerSecond == 100)
        #expect(second.broker(1)?.throughput.messagesIn == 150 && second.broker(2)?.throughput.messagesIn == 0)
        #expect(second.broker(1)?.leaderCount == 1 && second.broker(2)?.replicaCount == 1)
        #expect(second.messagesInSeries.samples.map(\.value) == [0, 150])
        #expect(second.sequence == 2)
    }

    @Test func retentionShrinkingTheLogDoesNotMakeNegativeRates() {
        let first = SnapshotBuilder.build(observation(at: 0, hw: 1000, size: 100_000, committed: nil), previous: nil)
        let second = SnapshotBuilder.build(observation(at: 1, hw: 1100, size: 20_000, committed: nil), previous: first)
        let t = second.topics[0].throughput
        #expect(t.messagesIn == 100 && t.bytesIn == 100 * 20_000 / 1100)
    }

    @Test func brokersThatLeaveTheMetadataAreRemembered() {
        let first = SnapshotBuilder.build(observation(at: 0, hw: 0, size: 0, committed: nil), previous: nil)
        let second = SnapshotBuilder.build(observation(at: 1, hw: 0, size: 0, committed: nil, brokers: [1]), previous: first)
        #expect(second.brokers.map(\.id) == [1, 2] && second.broker(2)?.registered == false)
    }

    @Test func eventsAreDerivedAndGroupedByCause() {
        let a = SnapshotBuilder.build(observation(at: 0, hw: 0, size: 0, committed: 0), previous: nil)
        #expect(EventDeriver.events(from: nil, to: a).map(\.text) == ["Connected to cluster c: 2 brokers, 1 topic"])
        let b = SnapshotBuilder.build(observation(at: 1, hw: 0, size: 0, committed: 0, leader: 2, isr: [2], controller: 2,
                                                  topics: ["t", "u"], brokers: [2], groupState: "PreparingRebalance"), previous: a)
        let texts = EventDeriver.events(from: a, to: b).map(\.text)
        #expect(texts.contains("Broker 1 left the cluster: down (not answering)"))
        #expect(texts.contains("Topic u created (1 partition, RF 2)"))
        #expect(texts.contains("Leader moved 1 → 2 on 1 partition: t-0"))
        #expect(texts.contains("ISR shrank: broker 1 out of sync on 1 partition: t-0"))
        #expect(texts.contains("Group g rebalancing: Stable → PreparingRebalance, 0 members"))
        let c = SnapshotBuilder.build(observation(at: 2, hw: 0, size: 0, committed: nil, leader: -1, isr: [], topics: ["t"]),
                                      previous: b)
        let later = EventDeriver.events(from: b, to: c).map(\.text)
        #expect(later.contains("Topic u deleted") && !later.contains("Group g is gone"))
        // Missing from a second listing: gone (one listing may miss a group whose coordinator moves).
        let d = SnapshotBuilder.build(observation(at: 3, hw: 0, size: 0, committed: nil, leader: -1, isr: [], topics: ["t"]),
                                      previous: c)
        #expect(EventDeriver.events(from: c, to: d).map(\.text) == ["Group g is gone"])
        #expect(later.contains("1 partition went offline (leader 2 gone): t-0"))
        #expect(later.contains("Broker 1 is up (h:9001)"))
    }

    /// A request that fails once (a broker starting) is not shown; one that fails twice in a row is.
    @Test func onlyLastingErrorsAreShown() {
        var obs = observation(at: 0, hw: 0, size: 0, committed: nil)
        obs.errors = ["ListOffsets to broker 2: BROKER_NOT_AVAILABLE (8)"]
        let a = SnapshotBuilder.build(obs, previous: nil)
        #expect(a.errors.count == 1 && a.lastingErrors.isEmpty)
        obs.monotonic = 1
        let b = SnapshotBuilder.build(obs, previous: a)
        #expect(b.lastingErrors == obs.errors)
    }

    @Test func trendsResampleTheLastMinute() {
        var series = RateSeries()
        for t in 0..<120 { series = series.appending(Double(t), at: Double(t)) }
        let trend = series.trend(buckets: 6)
        #expect(trend.count == 6)
        #expect(trend.first! > 59 && trend.last! > 110)  // only the last 60 s, in time order
        #expect(series.samples.count <= 121)
        #expect(Sparkline.render([0, 1, 2, 4, 8], width: 7, glyphs: .unicode) == "  ▁▁▂▄█")
        #expect(Sparkline.render([], width: 3, glyphs: .ascii) == "   ")
    }

    @Test func brokerStateCombinesMetadataAndProcesses() {
        let up = BrokerSnapshot(id: 1, host: "h", port: 1, registered: true, probe: .answered(rtt: 0.001))
        let gone = BrokerSnapshot(id: 1, host: "h", port: 1, registered: false, probe: .failed("refused"))
        let fenced = BrokerSnapshot(id: 1, host: "h", port: 1, registered: false, probe: .answered(rtt: 0.001))
        let slow = BrokerSnapshot(id: 1, host: "h", port: 1, registered: true, probe: .timedOut)
        #expect(BrokerState.resolve(broker: up, process: nil, snapshotTime: 5) == .up)
        #expect(BrokerState.resolve(broker: gone, process: nil, snapshotTime: 5) == .down)
        #expect(BrokerState.resolve(broker: fenced, process: nil, snapshotTime: 5) == .fenced)
        #expect(BrokerState.resolve(broker: slow, process: nil, snapshotTime: 5) == .slow)
        let dead = BrokerProcess(id: 1, pid: 1, port: 1, status: .signaled(9), startedAt: 0, logPath: "")
        #expect(BrokerState.resolve(broker: up, process: dead, snapshotTime: 5) == .down)
        let young = BrokerProcess(id: 1, pid: 1, port: 1, status: .running, startedAt: 9, logPath: "")
        #expect(BrokerState.resolve(broker: up, process: young, snapshotTime: 5) == .starting)
        // Hung (stopped, black-holed): the controller fenced it for missing heartbeats, but what the
        // user needs to see is that it does not answer.
        let hung = BrokerSnapshot(id: 1, host: "h", port: 1, registered: false, probe: .timedOut)
        let seen = BrokerProcess(id: 1, pid: 1, port: 1, status: .running, startedAt: 0, logPath: "", seenUpSinceStart: true)
        #expect(BrokerState.resolve(broker: hung, process: seen, snapshotTime: 5) == .slow)
        #expect(BrokerState.resolve(broker: fenced, process: seen, snapshotTime: 5) == .fenced)
        #expect(BrokerState.resolve(broker: hung, process: nil, snapshotTime: 5) == .slow)
        // Listed by a metadata that no quorum updates any more, but refusing connections: down.
        let listedButDead = BrokerSnapshot(id: 1, host: "h", port: 1, registered: true, probe: .failed("refused"))
        #expect(BrokerState.resolve(broker: listedButDead, process: nil, snapshotTime: 5) == .down)
    }
}
