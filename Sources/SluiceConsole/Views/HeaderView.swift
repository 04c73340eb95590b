/// The two header lines: cluster identity and health, then throughput with sparklines.
public enum HeaderView {
    public static func draw(_ state: AppState, into grid: inout CellGrid) {
        let rect = Layout.header(width: grid.width)
        grid.fill(rect, role: .header)
        let sep = Span(state.glyphs.separator, .header)
        let width = rect.width - 2
        var first = SegmentLine.fit(identity(state), width: width, separator: sep)
        // The cluster id goes after "Sluice" in whatever room is left, shortened if need be.
        if let id = state.snapshot?.clusterID {
            let room = width - Span.columns(first) - TextWidth.columns(of: sep.text) - TextWidth.columns(of: "cluster ")
            if room >= 8 {
                let shown = TextWidth.truncated(id, to: room, ascii: state.glyphs.isASCII)
                first.insert(contentsOf: [sep, Span("cluster ", .header), Span(shown, .headerValue)], at: 1)
            }
        }
        grid.put(first, x: 1, y: 0, maxWidth: width)
        grid.put(SegmentLine.fit(traffic(state, width: width), width: width, separator: sep), x: 1, y: 1, maxWidth: width)
    }

    private static func identity(_ state: AppState) -> [SegmentLine.Segment] {
        typealias S = SegmentLine.Segment
        var out = [S([Span("Sluice", .headerValue)], priority: 100)]
        // The mode stays on narrow screens; a remote cluster's address goes first when room is short.
        switch state.mode {
        case .embedded: out.append(S([Span("embedded", .header)], priority: 88))
        case .remote(let bootstrap):
            out.append(S([Span("remote", .header)], priority: 88))
            out.append(S([Span(bootstrap, .header)], priority: 60))
        }
        if let security = state.securityLabel {
            out.append(S([Span(security, .headerValue)], priority: 85))
        }
        guard let snap = state.snapshot else {
            let starting = state.processes.values.contains { $0.isRunning }
            if starting || state.pollError == nil {
                out.append(S([Span(starting ? "waiting for the brokers to start…" : "connecting…", .header)], priority: 95))
            } else {
                out.append(S([Span("no answer: \(state.pollError!)", .error)], priority: 95,
                             short: [Span("no answer", .error)], shortPriority: 50))
            }
            return out
        }
        if state.quorumLossReason != nil {
            // Without a quorum the metadata (leaders, ISRs, controller) cannot change: say since when.
            let since = Format.clock(state.quorumLostSince ?? snap.takenAt, zone: state.timeZone)
            let dash = state.glyphs.isASCII ? "-" : "—"
            out.append(S([Span("no quorum \(dash) metadata frozen since \(since)", .error)], priority: 97,
                         short: [Span("no quorum since \(since)", .error)], shortPriority: 80))
        }
        if state.pollError != nil {
            // The details go to the status line; the header only says the numbers are stale.
            out.append(S([Span("stale: no answer for \(age(state, snap))", .error)], priority: 96))
        }
        let ids = state.brokerIDs
        let up = ids.filter { state.brokerState($0) == .up || state.brokerState($0) == .slow }.count
        // Without a quorum there is no controller: "no quorum" says it already.
        if state.quorumLossReason == nil {
            let controller = state.activeControllerID.map { "\($0)" } ?? "none"
            out.append(S([Span("controller ", .header), Span(controller, controller == "none" ? .error : .headerValue)],
                         priority: 93))
        }

        out.append(S([Span("brokers ", .header), Span("\(up)/\(ids.count)", up < ids.count ? .warn : .headerValue),
                      Span(" up", .header)], priority: 95))
        out.append(S([Span("topics ", .header), Span("\(snap.topics.count)", .headerValue)], priority: 75))
        out.append(S([Span("partitions ", .header), Span("\(snap.partitionCount)", .headerValue)], priority: 74))
        let (offline, urp) = state.partitionHealth
        out.append(S([Span("URP ", .header), Span("\(urp)", urp > 0 ? .warn : .headerValue)], priority: 90))
        out.append(S([Span("offline ", .header), Span("\(offline)", offline > 0 ? .error : .headerValue)], priority: 91))
        return out
    }

    /// How long ago the snapshot was taken ("4s").
    static func age(_ state: AppState, _ snap: ClusterSnapshot) -> String {
        Format.duration(max(0, (state.now - snap.takenAt).rounded()))
    }

    private static func traffic(_ state: AppState, width: Int) -> [SegmentLine.Segment] {
        typealias S = SegmentLine.Segment
        guard let snap = state.snapshot else {
            return [S([Span(state.pollError == nil ? "waiting for the first poll" : "no answer yet: retrying",
                            state.pollError == nil ? .header : .error)], priority: 1)]
        }
        let t = snap.totals
        // Fixed widths, so changing numbers do not shift the sparklines (and redraw the whole line).
        func rate(_ v: Double) -> String { TextWidth.padded(Format.rate(v), to: 5, alignRight: true) }
        func mb(_ v: Double) -> String { TextWidth.padded(Format.megabytesPerSecond(v), to: 4, alignRight: true) }
        let inMsgs = "in " + rate(t.messagesIn) + " msg/s "
        let inBytes = " " + mb(t.bytesIn) + " MB/s "
        let outMsgs = "out " + rate(t.messagesOut) + " msg/s "
        let outBytes = " " + mb(t.bytesOut) + " MB/s "
        let demo = !state.demoLoad ? "" : state.demoLoadTrouble == nil ? ", demo load on" : ", demo load retrying"
        let extra = "refresh " + Format.duration(state.refreshInterval) + demo
        let sepWidth = TextWidth.columns(of: state.glyphs.separator)
        var fixed = [inMsgs, inBytes, outMsgs, outBytes].reduce(0) { $0 + TextWidth.columns(of: $1) } + sepWidth
        // The refresh note only stays on wide screens; do not reserve room for it otherwise.
        if width >= 110 { fixed += TextWidth.columns(of: extra) + sepWidth }
        let spark = max(4, min(20, (width - fixed) / 4))
        func line(_ series: RateSeries, _ role: StyleRole) -> Span {
            Span(Sparkline.render(series.trend(buckets: spark), width: spark, glyphs: state.glyphs), role)
        }
        return [
            S([Span(inMsgs, .header), line(snap.messagesInSeries, .sparkIn), Span(inBytes, .header),
               line(snap.bytesInSeries, .sparkIn)], priority: 90),
            S([Span(outMsgs, .header), line(snap.messagesOutSeries, .sparkOut), Span(outBytes, .header),
               line(snap.bytesOutSeries, .sparkOut)], priority: 80),
            S([Span(extra, state.demoLoadTrouble != nil ? .warn : state.demoLoad ? .headerValue : .header)], priority: 50),
        ]
    }
}
