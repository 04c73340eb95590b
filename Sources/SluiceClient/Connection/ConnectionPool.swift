import NIOCore

/// One connection per broker and purpose, opened on first use and reopened when it breaks.
///
/// Concurrent callers asking for the same broker share one connection attempt. Bootstrap
/// connections (made before node ids are known) are kept apart from node connections, since the
/// bootstrap address may be any broker or a load balancer.
actor ConnectionPool {
    /// What a connection carries. A broker answers a connection's requests strictly in order, so a
    /// group coordinator's requests that wait by design (a JoinGroup held until the rebalance
    /// completes, seconds or more) get a connection of their own, as Kafka's Java client does:
    /// they never hold back produce, fetch or metadata requests to the same broker, nor wait
    /// behind a long-polling fetch.
    enum Purpose: Hashable, Sendable { case general, coordinator }

    private struct Slot: Hashable {
        var node: Int32
        var purpose: Purpose
    }

    private let configuration: ClientConfiguration
    private let group: EventLoopGroup
    private var nodes: [Slot: (address: BrokerAddress, task: Task<BrokerConnection, Error>)] = [:]
    private var bootstrap: Task<BrokerConnection, Error>?
    private var closed = false

    init(configuration: ClientConfiguration, group: EventLoopGroup) {
        self.configuration = configuration
        self.group = group
    }

    /// The connection to broker `node` at `address` for `purpose`.
    func connection(node: Int32, address: BrokerAddress, purpose: Purpose = .general) async throws -> BrokerConnection {
        guard !closed else { throw KafkaClientError(.closed, "the client is closed") }
        let slot = Slot(node: node, purpose: purpose)
        if let entry = nodes[slot], entry.address == address {
            if let live = try? await entry.task.value, live.isActive { return live }
            // The attempt failed or the connection broke: replace it, unless someone already did.
            if let current = nodes[slot], current.task != entry.task {
                return try await current.task.value
            }
        }
        nodes[slot]?.task.cancel()
        let configuration = self.configuration
        let group = self.group
        let task = Task {
            try await BrokerConnection.connect(to: address, nodeId: node, configuration: configuration, group: group)
        }
        nodes[slot] = (address, task)
        do {
            return try await task.value
        } catch {
            if nodes[slot]?.task == task { nodes[slot] = nil }
            throw error
        }
    }

    /// A connection to any broker: an open node connection if there is one, else a bootstrap server
    /// (tried in random order until one answers).
    func anyConnection(known: [(Int32, BrokerAddress)]) async throws -> BrokerConnection {
        guard !closed else { throw KafkaClientError(.closed, "the client is closed") }
        for (node, address) in known.shuffled() {
            if let entry = nodes[Slot(node: node, purpose: .general)], entry.address == address,
               let live = try? await entry.task.value, live.isActive {
                return live
            }
        }
        if let bootstrap, let live = try? await bootstrap.value, live.isActive { return live }
        var lastError: Error = KafkaClientError(.connection, "no bootstrap servers")
        var reasons: [String] = []
        for (node, address) in known.shuffled() {
            do { return try await connection(node: node, address: address) } catch { lastError = error }
        }
        let configuration = self.configuration
        let group = self.group
        for address in configuration.bootstrapServers.shuffled() {
            let task = Task {
                try await BrokerConnection.connect(to: address, nodeId: nil, configuration: configuration, group: group)
            }
            bootstrap = task
            do {
                return try await task.value
            } catch {
                lastError = error
                reasons.append("\(address): \((error as? KafkaClientError)?.detail ?? "\(error)")")
            }
        }
        bootstrap = nil
        if let clientError = lastError as? KafkaClientError, clientError.kind != .connection { throw clientError }
        throw KafkaClientError(.connection, reasons.isEmpty ? "\(lastError)" : reasons.joined(separator: "; "))
    }

    /// Drops a broken connection so that the next caller reconnects.
    func discard(_ connection: BrokerConnection) async {
        connection.close()
        guard let node = connection.nodeId else { return }
        for purpose in [Purpose.general, .coordinator] {
            let slot = Slot(node: node, purpose: purpose)
            if let entry = nodes[slot], (try? await entry.task.value) === connection { nodes[slot] = nil }
        }
    }

    func closeAll() async {
        closed = true
        for entry in nodes.values {
            entry.task.cancel()
            (try? await entry.task.value)?.close()
        }
        nodes.removeAll()
        if let bootstrap { (try? await bootstrap.value)?.close() }
        bootstrap = nil
    }
}
