import KafkaProtocol

/// The versions of each API this client speaks, and the choice of version per connection.
///
/// The generated messages encode every version of the specs; the limits here are semantic. The
/// lower bounds are the first versions with magic-2 record batches (Produce 3, Fetch 4) or with the
/// fields the client relies on. The upper bounds stop where a later version changes the layout in
/// a way the client does not use: Fetch 13+ addresses topics by id, FindCoordinator 4+ and
/// OffsetFetch 8+ batch several keys, DeleteTopics 6+ may address topics by id.
public struct ApiVersionTable: Sendable, Hashable {
    /// The client's own ranges.
    public static let client: [ApiKey: ClosedRange<Int16>] = [
        .produce: 3...11,
        .fetch: 4...12,
        .listOffsets: 1...9,
        .metadata: 1...12,
        .offsetCommit: 2...9,
        .offsetFetch: 1...7,
        .findCoordinator: 0...3,
        .joinGroup: 0...9,
        .heartbeat: 0...4,
        .leaveGroup: 0...5,
        .syncGroup: 0...5,
        .describeGroups: 0...5,
        .listGroups: 0...5,
        .apiVersions: 0...3,
        .createTopics: 2...7,
        .deleteTopics: 1...5,
        .deleteRecords: 0...2,
        .initProducerId: 0...5,
        .describeConfigs: 1...4,
        .alterConfigs: 0...2,
        .describeLogDirs: 1...4,
        .createPartitions: 0...3,
        .deleteGroups: 0...2,
        .incrementalAlterConfigs: 0...1,
        .offsetDelete: 0...0,
        .describeCluster: 0...1,
        .saslHandshake: 1...1,
        .saslAuthenticate: 0...2,
        .describeUserScramCredentials: 0...0,
        .alterUserScramCredentials: 0...0,
        .describeAcls: 1...3,
        .createAcls: 1...3,
        .deleteAcls: 1...3,
        .describeClientQuotas: 0...1,
        .alterClientQuotas: 0...1,
        .consumerGroupHeartbeat: 0...1,
        .consumerGroupDescribe: 0...0,
    ]

    /// The broker's advertised ranges.
    public let broker: [ApiKey: ClosedRange<Int16>]

    public init(broker: [ApiKey: ClosedRange<Int16>]) {
        self.broker = broker
    }

    /// Builds the table from an ApiVersions response (unknown API keys are ignored).
    public init(response: ApiVersionsResponse) {
        var ranges: [ApiKey: ClosedRange<Int16>] = [:]
        for entry in response.apiKeys where entry.minVersion <= entry.maxVersion {
            if let key = ApiKey(rawValue: entry.apiKey) { ranges[key] = entry.minVersion...entry.maxVersion }
        }
        self.init(broker: ranges)
    }

    /// The highest version both sides support, or nil when there is none.
    public func version(for api: ApiKey) -> Int16? {
        guard let mine = Self.client[api], let theirs = broker[api] else { return nil }
        let high = min(mine.upperBound, theirs.upperBound)
        let low = max(mine.lowerBound, theirs.lowerBound)
        return low <= high ? high : nil
    }

    /// Whether the broker advertises the API at all (in any version this client speaks).
    public func supports(_ api: ApiKey) -> Bool { version(for: api) != nil }

    /// Like ``version(for:)``, throwing a clear error when there is no common version.
    public func requireVersion(for api: ApiKey, broker name: String) throws -> Int16 {
        if let v = version(for: api) { return v }
        let mine = Self.client[api].map { "\($0.lowerBound)-\($0.upperBound)" } ?? "none"
        guard let theirs = broker[api] else {
            throw KafkaClientError(.unsupportedVersion(api), "it does not implement it", resource: name)
        }
        throw KafkaClientError(.unsupportedVersion(api),
                               "it offers versions \(theirs.lowerBound)-\(theirs.upperBound), this client speaks \(mine)", resource: name)
    }
}
