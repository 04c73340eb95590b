import KafkaProtocol
import NIOConcurrencyHelpers
import SluiceBase
import Testing
@testable import SluiceClient

@Suite(.onTestThreads) struct AdminGroupsTests {
    /// A broker that has just become coordinator answers ListGroups with COORDINATOR_LOAD_IN_PROGRESS
    /// until its offsets partitions are loaded; `sluice group list` on a new cluster met exactly
    /// that. It is retriable: the listing waits for the load, as Kafka's AdminClient does.
    @Test func listGroupsWaitsForACoordinatorThatIsStillLoading() async throws {
        try await withTeardown { teardown in
            let listings = NIOLockedValueBox(0)
            let holder = NIOLockedValueBox<ScriptedPeer?>(nil)
            let peer = try await ScriptedPeer { request in
                switch request.apiKey {
                case .apiVersions: return ScriptedPeer.apiVersions(request)
                case .metadata: return holder.withLockedValue { $0 }?.metadata(request, topics: [:])
                case .listGroups:
                    let n = listings.withLockedValue { n -> Int in n += 1; return n }
                    let response = n < 3
                        ? ListGroupsResponse(errorCode: ErrorCode.coordinatorLoadInProgress.rawValue)
                        : ListGroupsResponse(errorCode: 0, groups: [.init(groupId: "g", protocolType: "consumer", groupState: "Stable")])
                    return ScriptedPeer.answer(response, to: request)
                default: return nil
                }
            }
            holder.withLockedValue { $0 = peer }
            teardown.add { await peer.close() }
            let client = KafkaClient(configuration: .test(peer))
            teardown.add { await client.close() }

            let groups = try await KafkaAdmin(client: client).listGroups()
            #expect(groups.map(\.groupId) == ["g"])
            #expect(groups.first?.state == "Stable")
            #expect(listings.withLockedValue { $0 } == 3)
        }
    }

    /// An error that waiting cannot fix is reported at once, naming the broker.
    @Test func listGroupsReportsAnErrorThatIsNotRetriable() async throws {
        try await withTeardown { teardown in
            let holder = NIOLockedValueBox<ScriptedPeer?>(nil)
            let peer = try await ScriptedPeer { request in
                switch request.apiKey {
                case .apiVersions: return ScriptedPeer.apiVersions(request)
                case .metadata: return holder.withLockedValue { $0 }?.metadata(request, topics: [:])
                case .listGroups:
                    return ScriptedPeer.answer(ListGroupsResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue), to: request)
                default: return nil
                }
            }
            holder.withLockedValue { $0 = peer }
            teardown.add { await peer.close() }
            let client = KafkaClient(configuration: .test(peer))
            teardown.add { await client.close() }

            let error = await #expect(throws: KafkaClientError.self) { try await KafkaAdmin(client: client).listGroups() }
            #expect(error?.description.contains("broker 1") == true)
            #expect(peer.received(.listGroups).count == 1)
        }
    }
}
