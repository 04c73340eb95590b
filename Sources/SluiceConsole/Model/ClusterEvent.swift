import SluiceBase

/// One entry of the Events timeline.
public struct ClusterEvent: Equatable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case broker
        case process
        case controller
        case leader
        case isr
        case topic
        case group
        case action
    }

    public enum Severity: Sendable, Equatable {
        case info, good, warning, failure
    }

    /// Position in the console's timeline (assigned when it is recorded), so the selection can follow it.
    public var id: Int = 0
    /// Wall-clock seconds since 1970.
    public var time: Double
    public var kind: Kind
    public var severity: Severity
    public var text: String
    /// What the one-line text leaves out (every partition of a long list), for the event's detail page.
    public var detail: String?

    public init(time: Double, kind: Kind, severity: Severity, text: String, detail: String? = nil) {
        self.time = time
        self.kind = kind
        self.severity = severity
        self.text = text
        self.detail = detail
    }
}

/// Derives timeline events from two successive snapshots: brokers leaving and joining, leader moves, ISR shrinks and expansions, topics created and deleted, group rebalances.
/// Many partitions changing at once (a broker died) become one event per cause, not one per partition.
public enum EventDeriver {
    public static func events(from old: ClusterSnapshot?, to new: ClusterSnapshot) -> [ClusterEvent] {
        let t = new.takenAt
        guard let old else {
            // A cluster still electing its first controller has no id yet (an empty string).
            let id = new.clusterID.flatMap { $0.isEmpty ? nil : " \($0)" } ?? ""
            let up = new.brokers.filter(\.registered).count
            return [ClusterEvent(time: t, kind: .broker, severity: .info,
                                 text: "Connected to cluster\(id): \(plural(up, "broker")), \(plural(new.topics.count, "topic"))")]
        }
        var out: [ClusterEvent] = []
        out += brokerEvents(old, new, t)
        // Controller changes and the quorum's loss are the reducer's (`Reducer.noteHealth`): they
        // depend on which brokers the console knows are down, not only on the metadata.
        out += topicEvents(old, new, t)
        out += partitionEvents(old, new, t)
        out += groupEvents(old, new, t)
        return out
    }

    private static func brokerEvents(_ old: ClusterSnapshot, _ new: ClusterSnapshot, _ t: Double) -> [ClusterEvent] {
        var out: [ClusterEvent] = []
        for b in new.brokers {
            let before = old.broker(b.id)?.registered ?? false
            if b.registered && !before {
                out.append(ClusterEvent(time: t, kind: .broker, severity: .good, text: "Broker \(b.id) is up (\(b.address))"))
            } else if !b.registered && before {
                let why = (b.probe?.isAnswered ?? false) ? "fenced (still answering)" : "down (not answering)"
                out.append(ClusterEvent(time: t, kind: .broker, severity: .failure,
                                        text: "Broker \(b.id) left the cluster: \(why)"))
            }
        }
        return out
    }

    private static func topicEvents(_ old: ClusterSnapshot, _ new: ClusterSnapshot, _ t: Double) -> [ClusterEvent] {
        let before = Set(old.topics.map(\.name)), after = Set(new.topics.map(\.name))
        var out: [ClusterEvent] = []
        for name in after.subtracting(before).sorted() {
            let p = new.topic(name)!
            out.append(ClusterEvent(time: t, kind: .topic, severity: .info,
                                    text: "Topic \(name) created (\(plural(p.partitions.count, "partition")), RF \(p.replicationFactor))"))
        }
        for name in before.subtracting(after).sorted() {
            out.append(ClusterEvent(time: t, kind: .topic, severity: .warning, text: "Topic \(name) deleted"))
        }
        return out
    }

    private static func partitionEvents(_ old: ClusterSnapshot, _ new: ClusterSnapshot, _ t: Double) -> [ClusterEvent] {
        let before = Dictionary(old.partitions.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var moves: [String: [TopicPartition]] = [:]  // "from → to"
        var shrunk: [Int32: [TopicPartition]] = [:]  // replica that fell out of the ISR
        var expanded: [Int32: [TopicPartition]] = [:]
        for p in new.partitions {
            guard let o = before[p.key] else { continue }
            if o.leader != p.leader {
                let from = o.leader >= 0 ? "\(o.leader)" : "none", to = p.leader >= 0 ? "\(p.leader)" : "none"
                moves["\(from) → \(to)", default: []].append(p.key)
            }
            for r in o.isr where !p.isr.contains(r) { shrunk[r, default: []].append(p.key) }
            for r in p.isr where !o.isr.contains(r) { expanded[r, default: []].append(p.key) }
        }
        var out: [ClusterEvent] = []
        for (move, keys) in moves.sorted(by: { $0.key < $1.key }) {
            let offline = move.hasSuffix("none")
            out.append(ClusterEvent(
                time: t, kind: .leader, severity: offline ? .failure : .warning,
                text: offline ? "\(plural(keys.count, "partition")) went offline (leader \(move.prefix { $0 != " " }) gone): \(list(keys))"
                    : "Leader moved \(move) on \(plural(keys.count, "partition")): \(list(keys))",
                detail: everyPartition(keys)
            ))
        }
        for (replica, keys) in shrunk.sorted(by: { $0.key < $1.key }) {
            out.append(ClusterEvent(time: t, kind: .isr, severity: .warning,
                                    text: "ISR shrank: broker \(replica) out of sync on \(plural(keys.count, "partition")): \(list(keys))",
                                    detail: everyPartition(keys)))
        }
        for (replica, keys) in expanded.sorted(by: { $0.key < $1.key }) {
            out.append(ClusterEvent(time: t, kind: .isr, severity: .good,
                                    text: "ISR expanded: broker \(replica) back in sync on \(plural(keys.count, "partition")): \(list(keys))",
                                    detail: everyPartition(keys)))
        }
        return out
    }

    private static func groupEvents(_ old: ClusterSnapshot, _ new: ClusterSnapshot, _ t: Double) -> [ClusterEvent] {
        var out: [ClusterEvent] = []
        for g in new.groups {
            guard let o = old.group(g.id) else {
                out.append(ClusterEvent(time: t, kind: .group, severity: .info,
                                        text: "Group \(g.id) appeared (\(g.state), \(plural(g.members.count, "member")))"))
                continue
            }
            if o.state != g.state {
                let rebalancing = g.isRebalancing
                // A consumer group's rebalance is incremental: say which partitions move.
                let moving = g.revoking.count + g.assigning.count
                out.append(ClusterEvent(
                    time: t, kind: .group, severity: rebalancing ? .warning : .info,
                    text: "Group \(g.id) \(rebalancing ? "rebalancing" : "is \(g.state)"): \(o.state) → \(g.state), "
                        + plural(g.members.count, "member") + (moving > 0 ? ", \(plural(moving, "partition")) moving" : "")
                ))
            } else if g.stale == nil,  // a stale group's members are the ones seen before: no news
                      o.members.map(\.memberID).sorted() != g.members.map(\.memberID).sorted() {
                out.append(ClusterEvent(time: t, kind: .group, severity: .warning,
                                        text: "Group \(g.id) rebalanced: \(o.members.count) → \(plural(g.members.count, "member"))"))
            }
        }
        for g in new.groups where !g.offsetResets.isEmpty {
            // A reset moves offsets without consumption: an event, not throughput.
            let up = g.offsetResets.values.filter { $0 > 0 }.reduce(0, +), down = g.offsetResets.values.filter { $0 < 0 }.reduce(0, +)
            let amount = [up > 0 ? "+\(up)" : nil, down < 0 ? "\(down)" : nil].compactMap { $0 }.joined(separator: " / ")
            out.append(ClusterEvent(time: t, kind: .group, severity: .warning,
                                    text: "Offsets of group \(g.id) reset: \(amount) on \(plural(g.offsetResets.count, "partition")): "
                                        + list(Array(g.offsetResets.keys)),
                                    detail: g.offsetResets.sorted { $0.key < $1.key }
                                        .map { "\($0.key): \($0.value > 0 ? "+" : "")\($0.value)" }.joined(separator: ", ")))
        }
        for o in old.groups where new.group(o.id) == nil {
            out.append(ClusterEvent(time: t, kind: .group, severity: .info, text: "Group \(o.id) is gone"))
        }
        return out
    }

    private static func plural(_ n: Int, _ word: String) -> String { n == 1 ? "1 \(word)" : "\(n) \(word)s" }

    /// Every partition of a list, for the detail page (nil when the short list has them all).
    private static func everyPartition(_ keys: [TopicPartition], limit: Int = 4) -> String? {
        keys.count > limit ? "Partitions (\(keys.count)): " + keys.sorted().map(\.description).joined(separator: ", ") : nil
    }

    private static func list(_ keys: [TopicPartition], limit: Int = 4) -> String {
        let sorted = keys.sorted()
        let shown = sorted.prefix(limit).map(\.description).joined(separator: ", ")
        return sorted.count > limit ? shown + ", +\(sorted.count - limit) more" : shown
    }
}
