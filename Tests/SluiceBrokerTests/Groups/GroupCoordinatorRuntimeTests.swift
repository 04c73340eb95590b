import Foundation
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import SluiceStorage
import Testing

@testable import SluiceBroker

/// The coordinator at work on real event loops and timers, with the wire handlers in front of it
/// and `__consumer_offsets` in memory.
@Suite(.onTestThreads) struct GroupCoordinatorRuntimeTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    private func coordinator(_ log: InMemoryOffsetsLog, session: (min: Int32, initialDelay: Int32) = (50, 0)) -> GroupCoordinator {
        var config = GroupCoordinatorConfig()
        config.offsetsTopicPartitions = 3
        config.minSessionTimeoutMs = session.min
        config.initialRebalanceDelayMs = session.initialDelay
        let c = GroupCoordinator(config: config, log: log, timerLoop: Self.group.next(), logger: Logger(label: "test"))
        for p in 0..<config.offsetsTopicPartitions { c.becameLeader(partition: p) }
        return c
    }

    /// Waits (up to 15 s) for `condition`.
    private func eventually(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(15)
        while !condition() {
            if Date() > deadline { throw TestFailure(what) }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = "timed out waiting for: " + d }
    }

    private func subscription(_ topics: [String]) -> ByteBuffer {
        var w = WireWriter()
        w.writeInt16(0)
        ConsumerProtocolSubscription(topics: topics).encode(to: &w, version: 0)
        return w.buffer
    }

    @Test func aMemberJoinsSyncsCommitsAndTheOffsetsSurviveANewCoordinator() async throws {
        try await withTeardown { teardown in
            let log = InMemoryOffsetsLog()
            let loop = Self.group.next()
            let c = coordinator(log)
            teardown.add { c.shutdown() }  // shut down below too; again is a no-op
            try await eventually("loaded") { c.status(of: "app") == .noError }
            let join = JoinGroupHandler(coordinator: c)
            let sync = SyncGroupHandler(coordinator: c)
            let commit = OffsetCommitHandler(coordinator: c, partitionExists: { $0.topic == "orders" })
            let fetch = OffsetFetchHandler(coordinator: c)

            // Long timeouts: on a loaded machine seconds may pass between these steps.
            var request = JoinGroupRequest(groupId: "app", sessionTimeoutMs: 300_000, rebalanceTimeoutMs: 300_000,
                                           protocolType: "consumer",
                                           protocols: [.init(name: "range", metadata: subscription(["orders"]))])
            let first = try await join.handle(request, version: 7, clientId: "svc", clientHost: "/127.0.0.1", on: loop).get()
            #expect(first.errorCode == ErrorCode.memberIdRequired.rawValue && first.memberId.hasPrefix("svc-"))
            request.memberId = first.memberId
            let joined = try await join.handle(request, version: 7, clientId: "svc", clientHost: "/127.0.0.1", on: loop).get()
            #expect(joined.errorCode == 0 && joined.generationId == 1 && joined.leader == first.memberId)
            #expect(joined.protocolType == "consumer" && joined.protocolName == "range")
            #expect(joined.members.map(\.metadata) == [subscription(["orders"])])

            let synced = try await sync.handle(SyncGroupRequest(
                groupId: "app", generationId: 1, memberId: first.memberId,
                assignments: [.init(memberId: first.memberId, assignment: ByteBuffer(string: "all of it"))]),
                version: 5, on: loop).get()
            #expect(synced.errorCode == 0 && synced.assignment == ByteBuffer(string: "all of it"))
            #expect(synced.protocolType == "consumer" && synced.protocolName == "range")

            let committed = try await commit.handle(OffsetCommitRequest(
                groupId: "app", generationIdOrMemberEpoch: 1, memberId: first.memberId,
                topics: [.init(name: "orders", partitions: [.init(partitionIndex: 0, committedOffset: 41, committedMetadata: "m")]),
                         .init(name: "nope", partitions: [.init(partitionIndex: 0, committedOffset: 1)])]),
                version: 8, on: loop).get()
            #expect(committed.topics.map { $0.partitions.map(\.errorCode) } == [[0], [ErrorCode.unknownTopicOrPartition.rawValue]])

            // A new coordinator (a restarted broker) reads the same log.
            c.shutdown()
            let c2 = coordinator(log)
            teardown.add { c2.shutdown() }
            try await eventually("reloaded") { c2.status(of: "app") == .noError }
            let fetched = OffsetFetchHandler(coordinator: c2).handle(OffsetFetchRequest(groups: [
                .init(groupId: "app", topics: [.init(name: "orders", partitionIndexes: [0, 1])]),
                .init(groupId: "other", topics: nil),
            ]), version: 8)
            #expect(fetched.groups.count == 2)
            #expect(fetched.groups[0].topics.first?.partitions.map(\.committedOffset) == [41, -1])
            #expect(fetched.groups[0].topics.first?.partitions.map(\.metadata) == ["m", ""])
            #expect(fetched.groups[1].topics.isEmpty && fetched.groups[1].errorCode == 0)
            let described = DescribeGroupsHandler(coordinator: c2).handle(DescribeGroupsRequest(groups: ["app"]), version: 5)
            #expect(described.groups.first?.groupState == "Stable")
            #expect(described.groups.first?.members.first?.memberAssignment == ByteBuffer(string: "all of it"))
            _ = fetch
        }
    }

    @Test func aSilentMemberIsRemovedByItsSessionTimer() async throws {
        try await withTeardown { teardown in
            let log = InMemoryOffsetsLog()
            let loop = Self.group.next()
            let c = coordinator(log)
            teardown.add { c.shutdown() }
            try await eventually("loaded") { c.status(of: "g") == .noError }
            let join = JoinGroupHandler(coordinator: c)
            let request = JoinGroupRequest(groupId: "g", sessionTimeoutMs: 1_000, rebalanceTimeoutMs: 1_000,
                                           protocolType: "consumer", protocols: [.init(name: "range", metadata: ByteBuffer())])
            let joined = try await join.handle(request, version: 3, clientId: "c", clientHost: "/h", on: loop).get()
            #expect(joined.errorCode == 0 && joined.generationId == 1)
            // It syncs (or, on a slow machine, its session already ran out) and never heartbeats:
            // one session timeout later it is gone.
            let synced = try await SyncGroupHandler(coordinator: c).handle(
                SyncGroupRequest(groupId: "g", generationId: 1, memberId: joined.memberId), version: 3, on: loop).get()
            #expect(synced.errorCode == 0 || synced.errorCode == ErrorCode.unknownMemberId.rawValue)
            try await eventually("the member expired") { c.describeGroup("g").state == "Empty" }
            let hb = try await HeartbeatHandler(coordinator: c).handle(
                HeartbeatRequest(groupId: "g", generationId: 1, memberId: joined.memberId), version: 4, on: loop).get()
            #expect(hb.errorCode == ErrorCode.unknownMemberId.rawValue)
            // The emptied group (generation 2) is in the log.
            try await eventually("the empty group is written") {
                log.records(c.partition(for: "g")).contains {
                    if case let .groupMetadata(_, v?) = $0 { return v.generation == 2 && v.members.isEmpty }
                    return false
                }
            }
        }
    }

    @Test func failedWritesAreReportedToTheCommitter() async throws {
        try await withTeardown { teardown in
            let log = InMemoryOffsetsLog()
            let c = coordinator(log)
            teardown.add { c.shutdown() }
            try await eventually("loaded") { c.status(of: "g") == .noError }
            log.failure.withLockedValue { $0 = .notLeaderOrFollower }
            let response = try await OffsetCommitHandler(coordinator: c, partitionExists: { _ in true }).handle(
                OffsetCommitRequest(groupId: "g", topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 1)])]),
                version: 2, on: Self.group.next()).get()
            #expect(response.topics.first?.partitions.first?.errorCode == ErrorCode.notCoordinator.rawValue)
        }
    }
}
