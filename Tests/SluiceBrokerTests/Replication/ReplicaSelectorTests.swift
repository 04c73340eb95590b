@testable import SluiceBroker
import Testing

/// KIP-392's choice of the replica a consumer reads from (Kafka's `RackAwareReplicaSelector`).
@Suite struct ReplicaSelectorTests {
    typealias Candidate = ReplicaSelector.Candidate

    @Test func aFollowerInTheClientsRackIsChosen() {
        let followers = [Candidate(id: 2, rack: "b", logEndOffset: 10), Candidate(id: 3, rack: "c", logEndOffset: 10)]
        #expect(ReplicaSelector.rackAware.select(leader: 1, leaderRack: "a", candidates: followers, clientRack: "c") == 3)
        // The furthest ahead of several in the rack.
        let two = followers + [Candidate(id: 4, rack: "c", logEndOffset: 12)]
        #expect(ReplicaSelector.rackAware.select(leader: 1, leaderRack: "a", candidates: two, clientRack: "c") == 4)
    }

    @Test func otherwiseTheLeaderServes() {
        let followers = [Candidate(id: 2, rack: "b", logEndOffset: 10)]
        // The leader is in the client's rack, no follower is, no client rack, or leaders only.
        #expect(ReplicaSelector.rackAware.select(leader: 1, leaderRack: "b", candidates: followers, clientRack: "b") == nil)
        #expect(ReplicaSelector.rackAware.select(leader: 1, leaderRack: "a", candidates: followers, clientRack: "z") == nil)
        #expect(ReplicaSelector.rackAware.select(leader: 1, leaderRack: "a", candidates: followers, clientRack: "") == nil)
        #expect(ReplicaSelector.leader.select(leader: 1, leaderRack: "a", candidates: followers, clientRack: "b") == nil)
        #expect(ReplicaSelector(className: "org.apache.kafka.common.replica.RackAwareReplicaSelector") == .rackAware)
        #expect(ReplicaSelector(className: "com.example.Mine") == nil)
    }
}
