import Dispatch
import Glibc
import SluiceBase
import SluiceClient

/// The console's main loop, on the thread that calls `run` (which must outlive the console: the
/// brokers' PR_SET_PDEATHSIG fires when the spawning thread exits). It waits in poll(2) on the
/// terminal and the inbox, turns what arrived into events, reduces them, performs the effects, and
/// draws a frame when the state changed. Everything slow (the network) happens in background tasks
/// that post back to the inbox.
public final class ConsoleApp {
    private let options: ConsoleOptions
    private var catalog: ThemeCatalog
    private let inbox = EventInbox()
    /// One client per job: a broker answers a connection's requests in order, so the poller's
    /// requests must not wait behind the tail's long-polling fetches or an action's slow request.
    private let pollClient: KafkaClient
    /// DescribeQuorum's own: without a quorum a broker holds it until a controller appears.
    private let quorumClient: KafkaClient
    private let tailClient: KafkaClient
    private let actionClient: KafkaClient
    private let poller: ClusterPoller
    private let tail: TailRunner
    private let actions: ClusterActions
    private let demo: DemoLoad
    private let supervisor: BrokerSupervisor?
    private let lock: DataDirectoryLock?
    private var backend: NCursesBackend?
    private var state: AppState
    private var quitRequested = false

    /// Prepares everything that can fail with a readable message before the terminal is taken over.
    public init(options: ConsoleOptions) throws {
        self.options = options
        catalog = ThemeCatalog.load(environment: options.environment)
        let initialTheme: Theme
        switch catalog.select(options.theme ?? "dark") {
        case .success(let theme): initialTheme = theme
        case .failure(let error): throw ConsoleError("--theme: \(error.message)")
        }

        let mode: ClusterMode
        let bootstrap: String
        var security = ClientSecurity.plaintext
        // The demo load of a secured embedded cluster runs as the demo user, within its ACLs.
        var demoSecurity: ClientSecurity?
        switch options.cluster {
        case .embedded(let path, let count, let fresh, let basePort, let executable, let secure):
            let dir = DataDirectory(path: path)
            do {
                try dir.prepare()
                lock = try DataDirectoryLock(dir)
                if fresh { try dir.wipe() }
                supervisor = try BrokerSupervisor(directory: dir, launcher: .sluice(executable: executable), count: count,
                                                  basePort: basePort, secure: secure)
            } catch let error as SupervisorError {
                throw ConsoleError(error.message)
            } catch {
                throw ConsoleError("cannot use the data directory \(path): \(error)")
            }
            bootstrap = supervisor!.bootstrapServers.joined(separator: ",")
            mode = .embedded(dataDir: path)
            if let secured = supervisor!.security {
                do {
                    security = try SecureClusterSetup.adminSecurity(secured, tls: dir.cluster.tlsFiles)
                    demoSecurity = try SecureClusterSetup.demoSecurity(secured, tls: dir.cluster.tlsFiles)
                } catch {
                    throw ConsoleError("the secured cluster's certificates in \(path)/tls: \(error)")
                }
            }
        case let .remote(servers, remoteSecurity):
            supervisor = nil
            lock = nil
            bootstrap = servers
            security = remoteSecurity
            mode = .remote(bootstrap: servers)
        }
        let addresses: [BrokerAddress]
        do {
            addresses = try BrokerAddress.parseList(bootstrap)
        } catch {
            throw ConsoleError("--bootstrap \(bootstrap): \(error)")
        }
        var configuration = ClientConfiguration(
            bootstrapServers: addresses, clientId: "sluice-console", connectTimeout: .seconds(1), requestTimeout: .seconds(3),
            retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(200)),
            metadataMaxAge: .seconds(1),
            // Within a poll step (2 s): a hung broker's Metadata or DescribeCluster is asked of
            // another broker after half a second, so the screen keeps refreshing.
            overdueRequestThreshold: .milliseconds(500))
        configuration.security = security
        func client(_ id: String) -> KafkaClient {
            var c = configuration
            c.clientId = id
            return KafkaClient(configuration: c)
        }
        pollClient = client("sluice-console")
        quorumClient = client("sluice-console-quorum")
        tailClient = client("sluice-console-tail")
        actionClient = client("sluice-console-actions")
        poller = ClusterPoller(source: KafkaClusterSource(client: pollClient, quorum: QuorumProbe(client: quorumClient)),
                               inbox: inbox, interval: options.refresh)
        tail = TailRunner(client: tailClient, inbox: inbox)
        actions = ClusterActions(client: actionClient, inbox: inbox)
        var demoConfiguration = configuration
        if let demoSecurity { demoConfiguration.security = demoSecurity }
        demo = DemoLoad(configuration: demoConfiguration, inbox: inbox)
        state = AppState(mode: mode, width: 80, height: 24, themeNames: catalog.themes.filter { !$0.isMonochrome }.map(\.name)
                         + catalog.themes.filter(\.isMonochrome).map(\.name),
                         themeName: initialTheme.name, refreshInterval: options.refresh)
        state.embeddedVoters = supervisor?.voters ?? []
        if security.securityProtocol != .plaintext {
            state.securityLabel = ([security.securityProtocol.rawValue] + (security.sasl.map { [$0.username] } ?? [])).joined(separator: " ")
        }
    }

    /// Runs until the user quits (or a signal asks to); then stops the brokers cleanly and
    /// restores the terminal.
    public func run() {
        let signals = SignalWatcher(inbox: inbox)
        let backend = NCursesBackend(colorAllowed: options.colorAllowed)
        self.backend = backend
        let size = backend.size
        state.width = size.width
        state.height = size.height
        state.unicode = backend.unicode
        state.colorEnabled = backend.hasColor
        state.now = Clocks.wall()
        state.monotonicNow = Clocks.monotonic()
        if !backend.hasColor { state.themeName = catalog.monochrome.name }
        backend.apply(theme(named: state.themeName))
        if let problem = catalog.problems.first { dispatch([.actionFailed("Theme ignored: \(problem)")]) }

        if let supervisor {
            let started = supervisor.startAll(now: Clocks.monotonic(), wall: Clocks.wall())
            poller.setKnownBrokers(supervisor.brokerAddresses)
            poller.setMetricsEndpoints(supervisor.metricsEndpoints)
            poller.pollQuickly(for: 20)
            dispatch(started.map { .processEvent($0) } + [.processes(supervisor.table)])
            if let secured = supervisor.security {
                // SCRAM users and the demo ACLs once the cluster answers; then the client files.
                let cluster = supervisor.directory.cluster, inbox = self.inbox
                let servers = supervisor.bootstrapServers.compactMap { BrokerAddress(bootstrapServer: $0) }
                Task {
                    do {
                        try await SecureClusterSetup.provision(secured, cluster: cluster, bootstrap: servers)
                        inbox.post(.actionDone("Secured cluster ready: users admin and demo; client settings in \(cluster.clientPropertiesPath)"))
                    } catch {
                        inbox.post(.actionFailed("Setting up the secured cluster's users failed: \(error)"))
                    }
                }
            }
        }
        let pollTask = Task { [poller] in await poller.run() }
        let tailTask = Task { [tail] in await tail.run() }
        draw(force: true)
        loop()
        draw(force: true)
        shutdown(pollTask: pollTask, tailTask: tailTask)
        draw(force: true)
        backend.stop()
        withExtendedLifetime(signals) {}
    }

    private func loop() {
        var lastTick = Clocks.monotonic(), lastReap = lastTick, lastStats = lastTick
        while !quitRequested {
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: inbox.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, 100)  // EINTR (SIGWINCH) is fine: ncurses reports the resize below
            var events: [AppEvent] = []
            let input = backend!.readInput()
            if input.resized {
                backend!.invalidate()
                let size = backend!.size
                events.append(.resize(width: size.width, height: size.height))
            }
            events += input.keys.map { .key($0) }
            events += inbox.drain()
            let now = Clocks.monotonic()
            if let supervisor, now - lastReap >= 0.2 {
                lastReap = now
                let before = supervisor.table
                let happened = supervisor.poll(now: now, wall: Clocks.wall())
                events += happened.map { .processEvent($0) }
                if now - lastStats >= 1 {
                    lastStats = now
                    supervisor.sampleStats(now: now)
                }
                if supervisor.table != before { events.append(.processes(supervisor.table)) }
            }
            if now - lastTick >= 1 {
                lastTick = now
                events.append(.tick(wall: Clocks.wall(), monotonic: now))
            }
            dispatch(events)
            draw(force: false)
        }
    }

    private var drawn: AppState?

    private func draw(force: Bool) {
        guard force || drawn != state else { return }
        backend?.draw(Screen.render(state))
        drawn = state
    }

    /// Reduces events one by one; effects may produce more events (the supervisor answers at once).
    private func dispatch(_ events: [AppEvent]) {
        var queue = events
        while !queue.isEmpty {
            let event = queue.removeFirst()
            let (next, effects) = Reducer.reduce(state, event)
            state = next
            for effect in effects { queue += perform(effect) }
        }
    }

    private func perform(_ effect: Effect) -> [AppEvent] {
        let wall = Clocks.wall(), now = Clocks.monotonic()
        switch effect {
        case .quit: quitRequested = true
        case .createTopic(let spec): actions.createTopic(spec)
        case .deleteTopic(let name): actions.deleteTopic(name)
        case .produce(let spec): actions.produce(spec)
        case .killBroker(let id):
            guard let supervisor else { return [] }
            poller.pollNow()
            let e = supervisor.kill(id, wall: wall)
            return (e.map { [.processEvent($0)] } ?? []) + [.processes(supervisor.table)]
        case .restartBroker(let id):
            guard let supervisor else { return [] }
            let e = supervisor.restart(id, now: now, wall: wall)
            poller.pollQuickly(for: BrokerSupervisor.stopGrace + 10)
            return (e.map { [.processEvent($0)] } ?? []) + [.processes(supervisor.table)]
        case .addBroker:
            guard let supervisor else { return [] }
            do {
                let e = try supervisor.add(now: now, wall: wall)
                poller.setKnownBrokers(supervisor.brokerAddresses)
                poller.setMetricsEndpoints(supervisor.metricsEndpoints)
                poller.pollQuickly(for: 20)
                return [.processEvent(e), .processes(supervisor.table)]
            } catch {
                return [.actionFailed("Cannot add a broker: \(error)")]
            }
        case .startTail(let target, let position): tail.send(.start(target, position))
        case .seekTail(let position): tail.send(.seek(position))
        case .setTailPaused(let paused): tail.send(.pause(paused))
        case .stopTail: tail.send(.stop)
        case .setDemoLoad(let on): demo.setRunning(on)
        case .setRefreshInterval(let seconds): poller.setInterval(seconds)
        case .applyTheme(let name): backend?.apply(theme(named: name))
        case .pollNow: poller.pollNow()
        }
        return []
    }

    private func theme(named name: String) -> Theme {
        guard backend?.hasColor ?? false else { return catalog.monochrome }
        return catalog.theme(named: name) ?? catalog.theme(named: "dark") ?? catalog.monochrome
    }

    /// Stops the brokers (showing each one's progress) while the background work ends, then the
    /// clients. Nothing here waits for the network for long: requests in flight end by their own
    /// timeouts, and the brokers are what the user waits for.
    private func shutdown(pollTask: Task<Void, Never>, tailTask: Task<Void, Never>) {
        pollTask.cancel()
        tail.finish()
        let clients = [pollClient, quorumClient, tailClient, actionClient], demo = self.demo, actions = self.actions
        let background = DispatchSemaphore(value: 0)
        Task {
            await demo.stop()
            await tailTask.value
            await pollTask.value
            await actions.close()
            background.signal()
        }
        if let supervisor {
            dispatch([.stopProgress(supervisor.beginStop(now: Clocks.monotonic()))])
            while true {
                draw(force: false)
                var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
                _ = poll(&fds, 1, 40)
                let input = backend!.readInput()  // keys are ignored while quitting; a resize redraws
                if input.resized {
                    backend!.invalidate()
                    let size = backend!.size
                    dispatch([.resize(width: size.width, height: size.height)])
                }
                let (progress, done) = supervisor.pollStop(now: Clocks.monotonic())
                dispatch([.stopProgress(progress), .processes(supervisor.table)])
                if done { break }
            }
        }
        // What the background work and the clients have not finished by now is cut short: the
        // brokers were what the user waited for.
        _ = background.wait(timeout: .now() + 0.5)
        Self.wait(seconds: 0.5) {
            for client in clients { await client.close() }
        }
    }

    /// Waits on this (non-cooperative) thread for async work, at most `seconds`.
    private static func wait(seconds: Double, _ work: @escaping @Sendable () async -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await work()
            done.signal()
        }
        _ = done.wait(timeout: .now() + seconds)
    }
}
