import KafkaProtocol
import SluiceBase
import SluiceClient

/// One poll of a cluster through the Kafka protocol only (so it works against any Kafka-compatible
/// cluster): DescribeCluster and Metadata, ApiVersions to each broker for the round-trip,
/// DescribeLogDirs per broker, ListOffsets (earliest and latest) per leader, ListGroups,
/// DescribeGroups and OffsetFetch. Each step has its own timeout; a step that fails becomes a line
/// in `errors` rather than failing the poll. The poll fails only when no broker gives metadata.
public struct KafkaClusterSource: Sendable {
    public let client: KafkaClient
    private let admin: KafkaAdmin
    /// The timeout of one step (one request, or one request per broker in parallel).
    public var stepTimeout: Duration
    /// Asks DescribeQuorum in the background (on a client of its own); nil: not asked.
    public let quorum: QuorumProbe?

    public init(client: KafkaClient, quorum: QuorumProbe? = nil, stepTimeout: Duration = .seconds(2)) {
        self.client = client
        self.admin = KafkaAdmin(client: client)
        self.quorum = quorum
        self.stepTimeout = stepTimeout
    }

    /// Polls the cluster. `known` are broker addresses seen before (or the embedded brokers'), so
    /// that brokers missing from the metadata are still asked directly: a fenced broker answers, a
    /// dead one does not.
    public func observe(known: [Int32: String], metrics: [Int32: MetricsEndpoint] = [:]) async throws -> ClusterObservation {
        let wall = Clocks.wall(), mono = Clocks.monotonic()
        let quorum = self.quorum?.observe()
        let cluster = try await withTimeout(stepTimeout, "DescribeCluster") { try await admin.describeCluster(includeAuthorizedOperations: true) }
        let metadata = try await withTimeout(stepTimeout, "Metadata") { try await client.metadata(topics: nil, refresh: true) }
        var obs = ClusterObservation(takenAt: wall, monotonic: mono, clusterID: cluster.clusterId ?? metadata.clusterId,
                                     controllerID: cluster.controllerId >= 0 ? cluster.controllerId : metadata.controllerId)
        obs.clusterAuthorizedOperations = cluster.authorizedOperations
        let brokers = cluster.brokers.isEmpty ? metadata.sortedBrokers : cluster.brokers
        obs.brokers = brokers.map {
            ObservedBroker(id: $0.nodeId, host: $0.address.host, port: Int32($0.address.port), rack: $0.rack)
        }
        var topics: [ObservedTopic] = []
        for topic in metadata.topics.values.sorted(by: { $0.name < $1.name }) {
            topics.append(ObservedTopic(
                name: topic.name, isInternal: topic.isInternal,
                partitions: topic.partitions.map {
                    ObservedPartition(partition: $0.partition, leader: $0.leader, leaderEpoch: $0.leaderEpoch,
                                      replicas: $0.replicas, isr: $0.isr, offlineReplicas: $0.offlineReplicas)
                },
                error: topic.error.isError ? topic.error.name : nil))
        }

        async let perBroker = probeBrokers(listed: brokers.map(\.nodeId), known: known)
        async let offsets = listOffsets(topics)
        async let groups = describeGroups()
        async let latencies = MetricsScraper.scrape(metrics, timeout: stepTimeout)
        let (probes, logDirs, brokerErrors) = await perBroker
        let (ends, starts, offsetErrors) = await offsets
        let (observedGroups, groupsError, groupsUnlisted, groupErrors) = await groups

        for t in topics.indices {
            for p in topics[t].partitions.indices {
                let key = TopicPartition(topics[t].name, topics[t].partitions[p].partition)
                topics[t].partitions[p].highWatermark = ends[key]
                topics[t].partitions[p].logStartOffset = starts[key]
            }
        }
        obs.topics = topics
        obs.probes = probes
        obs.logDirs = logDirs
        obs.groups = observedGroups
        obs.groupsError = groupsError
        obs.groupsUnlisted = groupsUnlisted
        obs.errors = brokerErrors + offsetErrors + groupErrors
        obs.quorum = quorum
        obs.serverLatency = await latencies
        return obs
    }

    /// Only the brokers' reachability (a bare connection attempt to each known address), for when
    /// a poll failed: a remote broker that no longer accepts connections is then shown down
    /// rather than as the last poll saw it.
    public func probe(known: [Int32: String]) async -> [Int32: BrokerProbe] {
        await probeBrokers(listed: [], known: known).0
    }

    /// ApiVersions (for the round-trip) and DescribeLogDirs to every listed broker, in parallel;
    /// a bare connection attempt to known brokers the metadata does not list.
    private func probeBrokers(listed: [Int32], known: [Int32: String])
        async -> ([Int32: BrokerProbe], [Int32: [TopicPartition: Int64]], [String])
    {
        await withTaskGroup(of: (Int32, BrokerProbe, [TopicPartition: Int64]?, String?).self) { group in
            for id in listed {
                group.addTask {
                    let started = Clocks.monotonic()
                    do {
                        let connection = try await withTimeout(stepTimeout, "broker \(id)") {
                            try await client.connection(toNode: id)
                        }
                        _ = try await connection.send(ApiVersionsRequest(), timeout: stepTimeout)
                        let rtt = Clocks.monotonic() - started
                        guard connection.versions.supports(.describeLogDirs) else { return (id, .answered(rtt: rtt), nil, nil) }
                        do {
                            let response = try await connection.send(DescribeLogDirsRequest(topics: nil), timeout: stepTimeout)
                            let refused = ErrorCode(response.errorCode)
                            if refused == .clusterAuthorizationFailed {
                                return (id, .answered(rtt: rtt), nil,
                                        "not authorised to describe broker \(id)'s log dirs (\(refused.name): needs DESCRIBE on the cluster)")
                            } else if refused.isError {
                                return (id, .answered(rtt: rtt), nil, "DescribeLogDirs to broker \(id): \(refused.name)")
                            }
                            var sizes: [TopicPartition: Int64] = [:]
                            for dir in response.results where dir.errorCode == 0 {
                                for t in dir.topics {
                                    for p in t.partitions { sizes[TopicPartition(t.name, p.partitionIndex), default: 0] += p.partitionSize }
                                }
                            }
                            return (id, .answered(rtt: rtt), sizes, nil)
                        } catch {
                            return (id, .answered(rtt: rtt), nil, "DescribeLogDirs to broker \(id): \(Self.words(error))")
                        }
                    } catch {
                        let probe: BrokerProbe = Self.isTimeout(error) ? .timedOut : .failed(Self.words(error))
                        return (id, probe, nil, "broker \(id): \(Self.words(error))")
                    }
                }
            }
            for (id, address) in known where !listed.contains(id) {
                group.addTask {
                    guard let addr = BrokerAddress(bootstrapServer: address) else { return (id, .failed("bad address"), nil, nil) }
                    let started = Clocks.monotonic()
                    var config = client.configuration
                    config.bootstrapServers = [addr]
                    config.connectTimeout = .milliseconds(500)
                    config.retry = .none
                    let probe = KafkaClient(configuration: config)
                    defer { Task { await probe.close() } }
                    do {
                        _ = try await withTimeout(stepTimeout, "broker \(id)") { try await probe.anyConnection() }
                        return (id, .answered(rtt: Clocks.monotonic() - started), nil, nil)
                    } catch {
                        return (id, Self.isTimeout(error) ? .timedOut : .failed(Self.words(error)), nil, nil)
                    }
                }
            }
            var probes: [Int32: BrokerProbe] = [:]
            var dirs: [Int32: [TopicPartition: Int64]] = [:]
            var errors: [String] = []
            for await (id, probe, sizes, error) in group {
                probes[id] = probe
                if let sizes { dirs[id] = sizes }
                if let error { errors.append(error) }
            }
            return (probes, dirs, errors.sorted())
        }
    }

    /// Latest and earliest offsets of every partition that has a leader, one ListOffsets call per
    /// leader (so a broker that does not answer costs only its own partitions).
    private func listOffsets(_ topics: [ObservedTopic])
        async -> ([TopicPartition: Int64], [TopicPartition: Int64], [String])
    {
        var byLeader: [Int32: [TopicPartition]] = [:]
        for t in topics where t.error == nil {
            for p in t.partitions where p.leader >= 0 { byLeader[p.leader, default: []].append(TopicPartition(t.name, p.partition)) }
        }
        return await withTaskGroup(of: ([TopicPartition: Int64], [TopicPartition: Int64], String?).self) { group in
            for (leader, partitions) in byLeader {
                group.addTask {
                    do {
                        let ends = try await withTimeout(stepTimeout, "ListOffsets") {
                            try await client.listOffsets(Dictionary(uniqueKeysWithValues: partitions.map { ($0, .latest) }))
                        }
                        let starts = try await withTimeout(stepTimeout, "ListOffsets") {
                            try await client.listOffsets(Dictionary(uniqueKeysWithValues: partitions.map { ($0, .earliest) }))
                        }
                        return (ends, starts, nil)
                    } catch {
                        return ([:], [:], "ListOffsets to broker \(leader): \(Self.words(error))")
                    }
                }
            }
            var ends: [TopicPartition: Int64] = [:], starts: [TopicPartition: Int64] = [:]
            var errors: [String] = []
            for await (e, s, error) in group {
                ends.merge(e) { a, _ in a }
                starts.merge(s) { a, _ in a }
                if let error { errors.append(error) }
            }
            return (ends, starts, errors.sorted())
        }
    }

    /// Groups with their state, members, assignor and committed offsets: ListGroups, then for each
    /// group ConsumerGroupDescribe (KIP-848 groups: epochs, current and target assignments) or
    /// DescribeGroups, and OffsetFetch to its coordinator, in parallel, within one step timeout
    /// per group. Returns the groups, why groups are unsupported (if so), why they could not be
    /// listed this time (if so), and the errors in words. A group coordinator that is still
    /// loading its groups (after a broker start) makes the listing or a group fail for a moment:
    /// that is said as such, and the snapshot keeps what it knew.
    private func describeGroups() async -> ([ObservedGroup], String?, String?, [String]) {
        let listing: [GroupListing]
        do {
            listing = try await withTimeout(stepTimeout, "ListGroups") { try await admin.listGroups() }
        } catch {
            if case .unsupportedVersion? = (error as? KafkaClientError)?.kind {
                return ([], "the cluster does not support consumer groups (\(Self.words(error)))", nil, [])
            }
            let why = Self.groupFailure(error)
            return ([], nil, why, ["ListGroups: \(why)"])
        }
        guard !listing.isEmpty else { return ([], nil, nil, []) }
        return await withTaskGroup(of: (ObservedGroup, String?).self) { group in
            for listed in listing {
                group.addTask {
                    let id = listed.groupId
                    do {
                        return (try await withTimeout(stepTimeout, "DescribeGroups and OffsetFetch") {
                            try await describeGroup(id)
                        }, nil)
                    } catch {
                        let why = Self.groupFailure(error)
                        return (ObservedGroup(id: id, state: listed.state, type: listed.type, protocolType: listed.protocolType,
                                              unanswered: why), "group \(id): \(why)")
                    }
                }
            }
            var groups: [ObservedGroup] = []
            var errors: [String] = []
            for await (g, error) in group {
                groups.append(g)
                if let error { errors.append(error) }
            }
            return (groups.sorted { $0.id < $1.id }, nil, nil, errors.sorted())
        }
    }

    /// One group's description and committed offsets, from its coordinator.
    private func describeGroup(_ id: String) async throws -> ObservedGroup {
        async let description = admin.describeGroups([id]).first
        async let committed = admin.groupOffsets(id)
        guard let d = try await description else { throw KafkaClientError.broker(.groupIdNotFound, resource: "group '\(id)'") }
        let members = d.members.map {
            ObservedMember(memberID: $0.memberId, clientID: $0.clientId, host: $0.clientHost,
                           assignment: $0.assignment.map { TopicPartition($0.topic, $0.partition) },
                           memberEpoch: $0.memberEpoch, target: $0.targetAssignment?.map { TopicPartition($0.topic, $0.partition) })
        }
        var offsets: [TopicPartition: Int64] = [:]
        for (tp, c) in try await committed where c.offset >= 0 { offsets[TopicPartition(tp.topic, tp.partition)] = c.offset }
        return ObservedGroup(id: id, state: d.state, type: d.type, protocolType: d.protocolType, assignor: d.protocolName,
                             members: members, committed: offsets, groupEpoch: d.groupEpoch, assignmentEpoch: d.assignmentEpoch)
    }

    /// A group request's failure in words; a coordinator loading its groups is named as such.
    static func groupFailure(_ error: any Error) -> String {
        if (error as? KafkaClientError)?.errorCode == .coordinatorLoadInProgress {
            return GroupSnapshot.coordinatorLoading
        }
        return words(error)
    }

    static func isTimeout(_ error: any Error) -> Bool { (error as? KafkaClientError)?.kind == .timeout }

    /// An error in words for the screen.
    static func words(_ error: any Error) -> String {
        if let e = error as? KafkaClientError { return e.description }
        return "\(error)"
    }
}
