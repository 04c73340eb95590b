import Foundation

/// Whether the console runs its own cluster or watches someone else's.
public enum ClusterMode: Equatable, Sendable {
    /// Embedded brokers under `dataDir`, which the console can kill, restart and add.
    case embedded(dataDir: String)
    /// A remote cluster reached through `bootstrap`; kill, restart and add are unavailable.
    case remote(bootstrap: String)

    public var isEmbedded: Bool { if case .embedded = self { true } else { false } }
}

/// Selection and scroll position of one list. The selection is remembered by row id, so it follows
/// its row when refreshes reorder or insert rows; the index is the fallback when the row vanishes.
public struct ListPosition: Equatable, Sendable {
    public var selectedID: String?
    public var selectedIndex = 0
    public var scrollTop = 0

    public init(selectedID: String? = nil, selectedIndex: Int = 0, scrollTop: Int = 0) {
        self.selectedID = selectedID
        self.selectedIndex = selectedIndex
        self.scrollTop = scrollTop
    }
}

/// The sort of a list: an index into the list's sortable columns, and the direction.
public struct SortOrder: Equatable, Sendable {
    public var column: Int
    public var descending: Bool

    public init(column: Int = 0, descending: Bool = false) {
        self.column = column
        self.descending = descending
    }
}

/// A line at the bottom reporting the outcome of the last action.
public struct StatusMessage: Equatable, Sendable {
    public var text: String
    public var isError: Bool
    /// Monotonic seconds when it was set (it fades after a while).
    public var at: Double

    public init(_ text: String, isError: Bool = false, at: Double) {
        self.text = text
        self.isError = isError
        self.at = at
    }
}

/// Everything the screen shows, as one value. `reduce` changes it in response to events; the views
/// render it. Nothing here performs IO.
public struct AppState: Equatable, Sendable {
    public var mode: ClusterMode
    public var width: Int
    public var height: Int
    /// Wall-clock and monotonic seconds of the last tick.
    public var now: Double
    public var monotonicNow: Double

    /// The latest snapshot; nil until the first poll answered.
    public var snapshot: ClusterSnapshot?
    /// Why the last poll failed, when it did (shown until one succeeds).
    public var pollError: String?
    /// Embedded broker processes by id (empty for a remote cluster).
    public var processes: [Int32: BrokerProcess] = [:]
    /// The embedded cluster's metadata-quorum voters (empty for a remote cluster, whose voters
    /// come from DescribeQuorum).
    public var embeddedVoters: Set<Int32> = []
    /// How the console's clients reach a secured remote cluster, for the header: the security
    /// protocol and the SASL user ("SASL_SSL alice"); nil for plaintext.
    public var securityLabel: String?
    /// Wall-clock seconds since the metadata quorum was lost (set when the console saw it go).
    public var quorumLostSince: Double?
    /// Newest last; bounded.
    public var events: [ClusterEvent] = []
    /// The Events view keeps its selection on the newest event (it is shown at the top), until the
    /// user moves down; it follows again from the top, and whenever the view is shown anew.
    public var eventsFollow = true
    /// Events recorded while the Events view did not follow (the "N new" marker).
    public var eventsUnseen = 0

    public var page: Page = .brokers
    public var backStack: [Page] = []
    public var lists: [String: ListPosition] = [:]
    public var filters: [ListKind: String] = [:]
    public var sorts: [ListKind: SortOrder] = [:]

    public var dialog: Dialog?
    public var prompt: Prompt?
    public var showHelp = false
    /// The first help line shown (the help scrolls on short screens).
    public var helpScroll = 0
    public var status: StatusMessage?

    public var tail = TailState()

    public var themeNames: [String]
    public var themeName: String
    /// False under NO_COLOR or on a terminal without colours: only the monochrome theme applies.
    public var colorEnabled: Bool
    /// Seconds between polls.
    public var refreshInterval: Double
    public var demoLoad = false
    /// What keeps the demo load from working now (it retries), if anything.
    public var demoLoadTrouble: String?
    /// Whether message text may use non-ASCII glyphs (a UTF-8 locale).
    public var unicode: Bool
    public var quitting = false
    /// Each embedded broker's progress while the console quits.
    public var stopProgress: [BrokerStop] = []
    /// The zone for times on screen (tests use UTC).
    public var timeZone: TimeZone = .current

    public static let maxEvents = 500
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public init(
        mode: ClusterMode, width: Int, height: Int, themeNames: [String], themeName: String, colorEnabled: Bool = true,
        refreshInterval: Double = 1, unicode: Bool = true, now: Double = 0, monotonicNow: Double = 0
    ) {
        self.mode = mode
        self.width = width
        self.height = height
        self.themeNames = themeNames
        self.themeName = themeName
        self.colorEnabled = colorEnabled
        self.refreshInterval = refreshInterval
        self.unicode = unicode
        self.now = now
        self.monotonicNow = monotonicNow
    }

    public var glyphs: Glyphs { unicode ? .unicode : .ascii }
    public var isTooSmall: Bool { width < Self.minimumWidth || height < Self.minimumHeight }

    public func position(_ page: Page) -> ListPosition { lists[page.listID] ?? ListPosition() }
    public func filter(_ kind: ListKind) -> String { filters[kind] ?? "" }
    public func sort(_ kind: ListKind) -> SortOrder { sorts[kind] ?? ListSorts.defaultOrder(kind) }

    /// The broker's state, combining the last snapshot and the process table.
    public func brokerState(_ id: Int32) -> BrokerState {
        BrokerState.resolve(broker: snapshot?.broker(id), process: processes[id], snapshotTime: snapshot?.monotonic)
    }

    /// What the lists say before the first poll answered: waiting, or that nothing answers.
    public var waitingMessage: String {
        if pollError != nil {
            // The error itself is on the status line.
            switch mode {
            case .remote(let bootstrap): return Self.remoteFailure(pollError ?? "", bootstrap: bootstrap)
            case .embedded: return "The brokers do not answer yet; retrying"
            }
        }
        return processes.values.contains(where: \.isRunning) ? "Waiting for the brokers to start…" : "Waiting for the cluster to answer…"
    }

    /// What a remote cluster's failure to answer most likely means, and what to check.
    static func remoteFailure(_ error: String, bootstrap: String) -> String {
        if error.contains("SASL_AUTHENTICATION_FAILED") || error.contains("UNSUPPORTED_SASL_MECHANISM")
            || error.contains("ILLEGAL_SASL_STATE") {
            return "\(bootstrap) refused the credentials; retrying (check sasl.mechanism, sasl.username and sasl.password in --command-config)"
        }
        if error.contains("TLS handshake") || error.contains("first bytes of a TLS record") {
            return "No TLS agreement with \(bootstrap); retrying (check security.protocol and ssl.ca.location in --command-config)"
        }
        return "Nothing answers at \(bootstrap); retrying (check the address: --bootstrap host:port)"
    }

    /// Every broker id known from the snapshot or the process table, ascending.
    public var brokerIDs: [Int32] {
        Set((snapshot?.brokers.map(\.id) ?? []) + Array(processes.keys)).sorted()
    }
}
