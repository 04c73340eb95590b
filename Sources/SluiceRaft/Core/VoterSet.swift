/// The replicas that vote and may lead (`controller.quorum.voters`). A value carried in the node's
/// state rather than a constant, so a later membership change (KIP-853) only has to replace it.
public struct VoterSet: Hashable, Sendable, CustomStringConvertible {
    /// Voter ids, sorted and without duplicates.
    public let ids: [Int32]

    /// Builds a voter set; fails on an empty set, duplicates or negative ids.
    public init(_ ids: [Int32]) throws(RaftError) {
        let sorted = ids.sorted()
        guard !sorted.isEmpty else { throw RaftError(.invalidConfig, "the voter set is empty") }
        guard sorted[0] >= 0 else { throw RaftError(.invalidConfig, "voter ids must not be negative: \(ids)") }
        for i in 1..<sorted.count where sorted[i] == sorted[i - 1] {
            throw RaftError(.invalidConfig, "voter \(sorted[i]) is listed twice")
        }
        self.ids = sorted
    }

    public func contains(_ id: Int32) -> Bool { ids.contains(id) }

    /// The number of voters that make a majority.
    public var majority: Int { ids.count / 2 + 1 }

    public var count: Int { ids.count }

    public var description: String { "\(ids)" }
}
