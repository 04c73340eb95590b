import Foundation
import SluiceBase
@testable import SluiceConsole

/// A fixed cluster for view and reducer tests: three brokers (3 was killed), four topics (one
/// under-replicated, one offline), two groups, a tail of JSON messages and some events. Rates come
/// from SnapshotBuilder over a fixed series of polls, so they are real derivations, not typed in.
enum Fixtures {
    /// 2024-05-01 12:00:00 UTC.
    static let t0: Double = 1_714_564_800
    static let polls = 40

    static func observation(_ i: Int) -> ClusterObservation {
        let t = Double(i)
        let brokerDown = i >= polls - 5  // broker 3 died five polls ago
        // Messages per poll vary in a fixed wave so sparklines have a shape.
        let wave = [120, 180, 260, 310, 280, 200, 150, 130, 170, 240]
        func hw(_ base: Int64, _ factor: Int) -> Int64 { base + Int64((0...i).reduce(0) { $0 + wave[$1 % wave.count] * factor }) }
        var orders: [ObservedPartition] = []
        for p in 0..<6 {
            let leader = Int32(p % 3 + 1)
            let replicas: [Int32] = [leader, leader % 3 + 1, (leader + 1) % 3 + 1]
            let movedLeader: Int32 = brokerDown && leader == 3 ? replicas[1] : leader
            let isr = brokerDown ? replicas.filter { $0 != 3 } : replicas
            let high = hw(Int64(10_000 * (p + 1)), 1)
            orders.append(ObservedPartition(partition: Int32(p), leader: movedLeader, leaderEpoch: brokerDown && leader == 3 ? 4 : 3,
                                            replicas: replicas, isr: isr, highWatermark: high, logStartOffset: Int64(p * 100)))
        }
        let payments = (0..<3).map { p -> ObservedPartition in
            let replicas: [Int32] = [Int32(p % 2 + 1), Int32((p + 1) % 2 + 1), 3]
            let isr = brokerDown ? Array(replicas.prefix(2)) : replicas
            return ObservedPartition(partition: Int32(p), leader: replicas[0], leaderEpoch: 1, replicas: replicas, isr: isr,
                                     highWatermark: hw(Int64(500 * p), 0) + Int64(i * 7), logStartOffset: 0)
        }
        let auditLeader: Int32 = brokerDown ? -1 : 3
        let auditISR: [Int32] = brokerDown ? [] : [3]
        let auditHW: Int64? = brokerDown ? nil : 4242
        let auditStart: Int64? = brokerDown ? nil : 0
        let audit = [ObservedPartition(partition: 0, leader: auditLeader, leaderEpoch: 2, replicas: [3], isr: auditISR,
                                       highWatermark: auditHW, logStartOffset: auditStart)]
        let clicks = (Int32(0)..<2).map { (p: Int32) -> ObservedPartition in
            let replicas: [Int32] = [p + 1, p + 2]
            return ObservedPartition(partition: p, leader: p + 1, leaderEpoch: 0, replicas: replicas, isr: replicas,
                                     highWatermark: 0, logStartOffset: 0)
        }
        let topics = [
            ObservedTopic(name: "orders", partitions: orders),
            ObservedTopic(name: "payments", partitions: payments),
            ObservedTopic(name: "audit-log", partitions: audit),
            ObservedTopic(name: "clicks", partitions: clicks),
        ]
        var logDirs: [Int32: [TopicPartition: Int64]] = [:]
        for topic in topics {
            for p in topic.partitions {
                for r in p.replicas where !(brokerDown && r == 3) {
                    logDirs[r, default: [:]][TopicPartition(topic.name, p.partition)] = (p.highWatermark ?? 4242) * 180
                }
            }
        }
        var brokers = [ObservedBroker(id: 1, host: "127.0.0.1", port: 19301), ObservedBroker(id: 2, host: "127.0.0.1", port: 19302)]
        if !brokerDown { brokers.append(ObservedBroker(id: 3, host: "127.0.0.1", port: 19303)) }
        var probes: [Int32: BrokerProbe] = [1: .answered(rtt: 0.0008), 2: .answered(rtt: 0.0021)]
        probes[3] = brokerDown ? .failed("connection refused") : .answered(rtt: 0.0015)
        let consumed = orders.map { TopicPartition("orders", $0.partition) }
        var billing: [TopicPartition: Int64] = [:]
        for (n, key) in consumed.enumerated() { billing[key] = (orders[n].highWatermark ?? 0) - Int64(40 + n * 15 + (i % 5) * 10) }
        let groups = [
            ObservedGroup(id: "billing", state: "Stable", assignor: "range", members: [
                ObservedMember(memberID: "billing-1-aa", clientID: "billing-1", host: "/127.0.0.1", assignment: Array(consumed.prefix(3))),
                ObservedMember(memberID: "billing-2-bb", clientID: "billing-2", host: "/127.0.0.1", assignment: Array(consumed.suffix(3))),
            ], committed: billing),
            ObservedGroup(id: "audit-export", state: "Empty", assignor: "", members: [],
                          committed: [TopicPartition("payments", 0): 100, TopicPartition("payments", 1): 480]),
            // A KIP-848 consumer group in the middle of an incremental rebalance: fraud-1 still
            // holds payments-1, which its target gives to fraud-2; payments-2 is free and waits for
            // fraud-2.
            ObservedGroup(id: "fraud-scoring", state: "Reconciling", type: "consumer", assignor: "uniform", members: [
                ObservedMember(memberID: "Kq3d", clientID: "fraud-1", host: "/127.0.0.1",
                               assignment: [TopicPartition("payments", 0), TopicPartition("payments", 1)], memberEpoch: 4,
                               target: [TopicPartition("payments", 0)]),
                ObservedMember(memberID: "Zr8m", clientID: "fraud-2", host: "/127.0.0.1", assignment: [], memberEpoch: 5,
                               target: [TopicPartition("payments", 1), TopicPartition("payments", 2)]),
            ], committed: [TopicPartition("payments", 0): 90, TopicPartition("payments", 1): 470], groupEpoch: 5, assignmentEpoch: 5),
        ]
        return ClusterObservation(
            takenAt: t0 + t, monotonic: 1000 + t, clusterID: "5Qx3vKp0RmW8yq1dZt7LAg", controllerID: 1, brokers: brokers,
            probes: probes, topics: topics, logDirs: logDirs, groups: groups,
            errors: brokerDown ? ["DescribeLogDirs to broker 3: connection refused"] : []
        )
    }

    /// The snapshot after all polls, and the timeline the polls produced.
    static let history: (snapshot: ClusterSnapshot, events: [ClusterEvent]) = {
        var snap: ClusterSnapshot?
        var events: [ClusterEvent] = []
        for i in 0..<polls {
            let next = SnapshotBuilder.build(observation(i), previous: snap)
            events += EventDeriver.events(from: snap, to: next)
            snap = next
        }
        return (snap!, events)
    }()

    static func tailMessages() -> [TailMessage] {
        (0..<30).map { n in
            let p = Int32(n % 3)
            let value = n == 7 ? Array("not json: plain text payload".utf8)
                : Array(#"{"order":\#(1000 + n),"customer":"c-\#(n % 4)","amount":\#(Double(n) * 2.5),"paid":\#(n % 2 == 0),"note":null}"#.utf8)
            return TailMessage(partition: p, offset: Int64(20_000 + n), timestamp: Int64((t0 + 30 + Double(n)) * 1000),
                               key: n % 5 == 4 ? nil : Array("order-\(1000 + n)".utf8), value: value,
                               headers: n % 2 == 0 ? [TailMessage.Header(key: "source", value: Array("web".utf8))] : [])
        }
    }

    static let processes: [Int32: BrokerProcess] = [
        1: BrokerProcess(id: 1, pid: 4101, port: 19301, status: .running, startedAt: 900, rssBytes: 182 * 1024 * 1024,
                         cpuPercent: 12.5, logPath: "/data/logs/broker-1.log", seenUpSinceStart: true),
        2: BrokerProcess(id: 2, pid: 4102, port: 19302, status: .running, startedAt: 900, rssBytes: 175 * 1024 * 1024,
                         cpuPercent: 9.0, logPath: "/data/logs/broker-2.log", seenUpSinceStart: true),
        3: BrokerProcess(id: 3, pid: 4103, port: 19303, status: .signaled(9), startedAt: 900, logPath: "/data/logs/broker-3.log",
                         seenUpSinceStart: true),
    ]

    /// The fixed state on `page` at `width` × `height`.
    static func state(width: Int = 120, height: Int = 40, page: Page = .brokers, mode: ClusterMode = .embedded(dataDir: "/data"))
        -> AppState
    {
        var s = AppState(mode: mode, width: width, height: height, themeNames: ["dark", "high-contrast", "light", "monochrome"],
                         themeName: "dark", now: t0 + Double(polls), monotonicNow: 1000 + Double(polls))
        s.timeZone = TimeZone(identifier: "UTC")!
        s.snapshot = history.snapshot
        if mode.isEmbedded { s.processes = processes }
        Reducer.record(&s, history.events)
        Reducer.record(&s, [ClusterEvent(time: t0 + 35, kind: .process, severity: .failure,
                                         text: "Broker 3 killed with SIGKILL (pid 4103)")])
        s.tail.target = TailTarget(topic: "orders")
        s.tail.append(tailMessages())
        s.tail.position = .recent(100)
        s.page = page
        Reducer.normalizeSelection(&s)
        return s
    }
}
