import NIOCore
import SluiceBase

/// One connection per broker and purpose, opened on first use and reopened when it breaks, and the
/// choice of a broker for requests that may go to any of them.
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

    private enum Key: Hashable {
        case node(Int32, Purpose)
        case bootstrap(BrokerAddress)

        var nodeId: Int32? {
            if case let .node(id, _) = self { return id }
            return nil
        }
    }

    /// A connection, or the attempt to make one. `ready` is set once the attempt succeeded, so that
    /// choosing a broker never waits on an attempt still under way (a hung broker's never ends
    /// before the request timeout).
    private struct Entry {
        var address: BrokerAddress
        var generation: Int
        var task: Task<BrokerConnection, Error>
        var ready: BrokerConnection?
    }

    private let configuration: ClientConfiguration
    private let group: EventLoopGroup
    /// Which addresses recently timed out; the connections record into it.
    let health: BrokerHealth
    private var entries: [Key: Entry] = [:]
    private var generation = 0
    private var closed = false

    init(configuration: ClientConfiguration, group: EventLoopGroup) {
        self.configuration = configuration
        self.group = group
        self.health = BrokerHealth(backoff: configuration.unresponsiveBrokerBackoff)
    }

    /// The connection to broker `node` at `address` for `purpose`.
    func connection(node: Int32, address: BrokerAddress, purpose: Purpose = .general) async throws -> BrokerConnection {
        guard !closed else { throw KafkaClientError(.closed, "the client is closed") }
        return try await connection(.node(node, purpose), address: address)
    }

    private func connection(_ key: Key, address: BrokerAddress) async throws -> BrokerConnection {
        if let entry = entries[key], entry.address == address {
            if let live = try? await Self.value(of: entry.task), live.isActive { return live }
            try Task.checkCancellation()
            // The attempt failed or the connection broke: replace it, unless someone already did.
            if let current = entries[key], current.task != entry.task {
                return try await Self.value(of: current.task)
            }
        }
        return try await Self.value(of: startConnecting(key, address: address))
    }

    /// The outcome of a connection attempt, or `CancellationError` as soon as the caller is
    /// cancelled: awaiting `Task.value` ignores cancellation, and an attempt to a hung broker lasts
    /// a whole request timeout, which would hold up a caller's own shorter deadline (`withTimeout`).
    private static func value(of attempt: Task<BrokerConnection, Error>) async throws -> BrokerConnection {
        let (results, sink) = AsyncStream.makeStream(of: Result<BrokerConnection, Error>.self)
        Task {
            sink.yield(await attempt.result)
            sink.finish()
        }
        for await result in results { return try result.get() }
        throw CancellationError()
    }

    /// Starts a new connection attempt for `key`, replacing the one before.
    private func startConnecting(_ key: Key, address: BrokerAddress) -> Task<BrokerConnection, Error> {
        entries[key]?.task.cancel()
        generation += 1
        let attempt = generation
        let (configuration, group, health) = (self.configuration, self.group, self.health)
        let task = Task {       // isolated to the pool: `settle` runs on it
            do {
                let connection = try await BrokerConnection.connect(
                    to: address, nodeId: key.nodeId, configuration: configuration, group: group, health: health)
                self.settle(key, attempt: attempt, connection)
                return connection
            } catch {
                self.settle(key, attempt: attempt, nil)
                throw error
            }
        }
        entries[key] = Entry(address: address, generation: attempt, task: task)
        return task
    }

    private func settle(_ key: Key, attempt: Int, _ connection: BrokerConnection?) {
        guard entries[key]?.generation == attempt else { return }
        if let connection { entries[key]?.ready = connection } else { entries[key] = nil }
    }

    /// A connection for a request that may go to any broker: Kafka's "least loaded node".
    ///
    /// In order of preference: an open connection to a known broker (or a bootstrap server) with
    /// the fewest requests in flight, among those with no overdue request and no recent timeout;
    /// else new connections to the known brokers that have not timed out recently, then to the
    /// bootstrap servers, raced so that the first to answer wins; else whatever is open, however
    /// slow; else new connections to the rest. A hung broker thus costs nothing once another
    /// broker is connected. `avoiding` (a broker already asked) is left out altogether.
    func anyConnection(known: [(Int32, BrokerAddress)], avoiding: BrokerAddress? = nil) async throws -> BrokerConnection {
        guard !closed else { throw KafkaClientError(.closed, "the client is closed") }
        let nodes = known.map { (Key.node($0.0, .general), $0.1) }.filter { $0.1 != avoiding }
        let bootstraps = configuration.bootstrapServers.map { (Key.bootstrap($0), $0) }.filter { $0.1 != avoiding }
        let now = ContinuousClock.now
        var open: [BrokerConnection] = []
        for (key, address) in nodes + bootstraps {
            if let entry = entries[key], entry.address == address, let live = entry.ready, live.isActive { open.append(live) }
        }
        let healthy = open.filter { !$0.hasOverdueRequest && !health.isBackingOff($0.address, now: now) }
        if let best = Self.leastLoaded(healthy) { return best }

        var failures: [(BrokerAddress, Error)] = []
        var tried: Set<BrokerAddress> = []
        for candidates in [nodes, bootstraps] {
            // Brokers with an open connection were judged above: open but slow is no reason to reconnect.
            let fresh = candidates.filter { key, address in
                !health.isBackingOff(address, now: now) && !tried.contains(address) && entries[key]?.ready?.isActive != true
            }
            guard !fresh.isEmpty else { continue }
            fresh.forEach { tried.insert($0.1) }
            do {
                return try await race(fresh, failures: &failures)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                continue    // recorded in `failures`
            }
        }
        if let best = Self.leastLoaded(open.filter(\.isActive)) { return best }
        let rest = (nodes + bootstraps).filter { !tried.contains($0.1) }
            .sorted { (health.lastTimeout($0.1) ?? now) < (health.lastTimeout($1.1) ?? now) }
        if !rest.isEmpty {
            do {
                return try await race(rest, failures: &failures)
            } catch is CancellationError {
                throw CancellationError()
            } catch {}      // recorded in `failures`
        }
        if failures.isEmpty { throw KafkaClientError(.connection, "no bootstrap servers") }
        if failures.count == 1, let only = failures[0].1 as? KafkaClientError { throw only }
        if let notConnect = failures.lazy.compactMap({ $0.1 as? KafkaClientError }).first(where: { $0.kind != .connection }) {
            throw notConnect
        }
        let reasons = failures.map { "\($0.0): \(($0.1 as? KafkaClientError)?.detail ?? "\($0.1)")" }
        throw KafkaClientError(.connection, reasons.joined(separator: "; "))
    }

    /// The connection with the fewest requests in flight (ties broken at random, to spread load).
    private static func leastLoaded(_ connections: [BrokerConnection]) -> BrokerConnection? {
        connections.shuffled().min { $0.inFlightCount < $1.inFlightCount }
    }

    /// Connects to every candidate at once (reusing attempts under way) and returns the first
    /// connection made; the other attempts go on and stay in the pool. Throws the failures when
    /// every attempt failed, or `CancellationError` when the caller is cancelled.
    private func race(_ candidates: [(Key, BrokerAddress)], failures: inout [(BrokerAddress, Error)])
        async throws -> BrokerConnection
    {
        var attempts: [(BrokerAddress, Task<BrokerConnection, Error>)] = []
        for (key, address) in candidates {
            if let entry = entries[key], entry.address == address, entry.ready?.isActive ?? true {
                attempts.append((address, entry.task))
            } else {
                attempts.append((address, startConnecting(key, address: address)))
            }
        }
        let (results, sink) = AsyncStream.makeStream(of: (BrokerAddress, Result<BrokerConnection, Error>).self)
        for (address, task) in attempts {
            Task { sink.yield((address, await task.result)) }
        }
        var remaining = attempts.count
        for await (address, result) in results {
            switch result {
            case let .success(connection) where connection.isActive:
                sink.finish()
                return connection
            case .success:
                failures.append((address, KafkaClientError(.connection, "the connection was closed")))
            case let .failure(error):
                failures.append((address, error))
            }
            remaining -= 1
            if remaining == 0 { break }
        }
        sink.finish()
        try Task.checkCancellation()
        throw failures.last?.1 ?? KafkaClientError(.connection, "no brokers to connect to")
    }

    /// Drops a broken connection so that the next caller reconnects.
    func discard(_ connection: BrokerConnection) async {
        connection.close()
        for (key, entry) in entries where entry.ready === connection { entries[key] = nil }
    }

    func closeAll() async {
        closed = true
        for entry in entries.values {
            entry.task.cancel()
            if let ready = entry.ready {
                ready.close()
            } else {
                // An attempt under way (to a hung broker it lasts a request timeout): closed when done.
                let attempt = entry.task
                Task { (try? await attempt.value)?.close() }
            }
        }
        entries.removeAll()
    }
}
