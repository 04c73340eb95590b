/// Chooses the brokers of new partitions: spread evenly, leaders (first replicas) rotating, and
/// replicas of one partition in different racks when `broker.rack` is set (Kafka's rack-aware
/// assignment in spirit: the brokers are ordered so that consecutive ones alternate racks, then
/// each partition takes `factor` consecutive brokers from a start that moves by one per
/// partition).
enum ReplicaPlacement {
    struct Failure: Error {
        var available: Int
    }

    /// `count` partitions numbered from `firstPartition`, `factor` replicas each, on `brokers`
    /// (the unfenced ones). `seed` picks the starting broker (random in production).
    static func place(count: Int32, factor: Int16, firstPartition: Int32 = 0, brokers: [BrokerRegistration],
                      seed: Int) throws(Failure) -> [[Int32]] {
        let ordered = rackAlternating(brokers)
        guard Int(factor) <= ordered.count, factor > 0 else { throw Failure(available: ordered.count) }
        let n = ordered.count
        let start = ((seed % n) + n) % n
        let racks = Dictionary(uniqueKeysWithValues: brokers.map { ($0.id, $0.rack) })
        let rackCount = Set(ordered.map { racks[$0] ?? nil }).count
        // Each partition starts one broker further (leaders rotate) and walks the rack-alternating
        // order, skipping brokers of racks it already has while another rack is still available.
        return (0..<Int(count)).map { p in
            let first = (start + Int(firstPartition) + p) % n
            var replicas = [ordered[first]]
            var usedRacks: Set<String?> = [racks[ordered[first]] ?? nil]
            for j in 1..<n where replicas.count < Int(factor) {
                let candidate = ordered[(first + j) % n]
                let rack = racks[candidate] ?? nil
                if !usedRacks.contains(rack) || usedRacks.count >= rackCount {
                    replicas.append(candidate)
                    usedRacks.insert(rack)
                }
            }
            for j in 1..<n where replicas.count < Int(factor) {
                let candidate = ordered[(first + j) % n]
                if !replicas.contains(candidate) { replicas.append(candidate) }
            }
            return replicas
        }
    }

    /// Broker ids ordered so that racks alternate (rack A's first, rack B's first, ..., rack
    /// A's second, ...); without racks, by id.
    static func rackAlternating(_ brokers: [BrokerRegistration]) -> [Int32] {
        let sorted = brokers.sorted { $0.id < $1.id }
        guard sorted.contains(where: { $0.rack != nil }) else { return sorted.map(\.id) }
        var byRack: [String: [Int32]] = [:]
        for broker in sorted { byRack[broker.rack ?? "", default: []].append(broker.id) }
        let racks = byRack.keys.sorted()
        var result: [Int32] = []
        var round = 0
        while result.count < sorted.count {
            for rack in racks where round < byRack[rack]!.count { result.append(byRack[rack]![round]) }
            round += 1
        }
        return result
    }
}
