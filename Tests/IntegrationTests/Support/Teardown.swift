// Tearing down: a test awaits the stop of everything it started, on every path — returned,
// thrown, or ended by a failed `#require`. Swift has no `defer { await ... }`, and a
// `defer { Task { await x.stop() } }` is not awaited: brokers, event loops and processes then
// outlive their test and pile up over the run. Shared by every test target (symlinked).

/// Runs `body` with `resource`, then awaits `stop(resource)` whether `body` returned or threw.
/// Fixtures wrap it (`BrokerFixture.with`, `InProcessCluster.with`, `ScriptedPeer.with`,
/// `BrokerProcess.with`, `ClusterHarness.with`); use it directly for anything else:
///
///     try await withResource(KafkaClient(configuration: config), stop: { await $0.close() }) { client in ... }
func withResource<Resource, Result>(_ resource: Resource, stop: (Resource) async -> Void,
                                    _ body: (Resource) async throws -> Result) async throws -> Result {
    let result: Result
    do {
        result = try await body(resource)
    } catch {
        await stop(resource)
        throw error
    }
    await stop(resource)
    return result
}

/// The cleanups of a test that starts several things (a server, a client on it, a producer on
/// the client): each registered right after what it cleans up, all run in reverse order, awaited,
/// when the scope ends — Swift's missing `defer { await ... }`.
///
///     try await withTeardown { teardown in
///         let peer = try await ScriptedPeer(respond: ...)
///         teardown.add { await peer.close() }
///         let client = KafkaClient(configuration: .test(peer))
///         teardown.add { await client.close() }
///         ...
///     }
final class Teardown {
    private var steps: [() async -> Void] = []

    /// Runs `step` when the scope ends, before the steps added earlier.
    func add(_ step: @escaping () async -> Void) {
        steps.append(step)
    }

    fileprivate func run() async {
        while let step = steps.popLast() { await step() }
    }
}

/// Runs `body`, then the cleanups it registered on its ``Teardown``, whether it returned or threw.
func withTeardown<Result>(_ body: (Teardown) async throws -> Result) async throws -> Result {
    try await withResource(Teardown(), stop: { await $0.run() }, body)
}
