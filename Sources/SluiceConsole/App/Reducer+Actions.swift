import SluiceClient

extension Reducer {
    /// Refresh intervals `+` and `-` step through, in seconds.
    static let refreshSteps: [Double] = [0.25, 0.5, 1, 2, 5, 10, 30, 60]

    /// Actions that act on the cluster, the tail, or the console's settings.
    static func clusterAction(_ s: inout AppState, _ action: Action) -> [Effect] {
        switch action {
        case .newTopic:
            let brokers = s.snapshot?.brokers.filter(\.registered).count ?? max(1, s.processes.count)
            s.dialog = .newTopic(NewTopicForm.make(brokerCount: brokers))
        case .deleteTopic:
            guard s.page == .topics, let topic = selectedID(s) else {
                setStatus(&s, "Select a topic first", error: true)
                return []
            }
            // Internal topics are refused here, before any dialog: a cluster may not refuse (Kafka
            // deletes __consumer_offsets when asked), and the loss (every group's offsets) is total.
            if let refusal = InternalTopics.deletionRefusal(topic)
                ?? (s.snapshot?.topic(topic)?.isInternal == true ? "\(topic) is an internal topic of the cluster and cannot be deleted" : nil) {
                setStatus(&s, "Not deleted: " + refusal, error: true)
                return []
            }
            s.dialog = .deleteTopic(DeleteTopicDialog(topic: topic))
        case .killBroker:
            guard let id = selectedBroker(s) else { return [] }
            guard s.processes[id]?.isRunning == true else {
                setStatus(&s, "Broker \(id) is not running", error: true)
                return []
            }
            s.dialog = .killBroker(KillBrokerDialog.make(broker: id, state: s))
        case .restartBroker:
            guard let id = selectedBroker(s) else { return [] }
            return restart(&s, id, confirmed: false)
        case .addBroker:
            setStatus(&s, "Adding a broker…")
            return [.addBroker]
        case .tail:
            return tailSelection(&s)
        case .produce:
            s.dialog = .produce(ProduceForm.make(topic: selectedTopic(s) ?? "", partition: selectedPartition(s)))
        case .toggleDemoLoad:
            s.demoLoad.toggle()
            s.demoLoadTrouble = nil
            setStatus(&s, s.demoLoad ? "Demo load starting on topic sluice-demo…" : "Demo load stopped")
            return [.setDemoLoad(s.demoLoad)]
        case .cycleTheme:
            guard s.colorEnabled else {
                setStatus(&s, "Colours are off (NO_COLOR or a terminal without colours): only monochrome applies")
                return []
            }
            guard !s.themeNames.isEmpty else { return [] }
            let i = s.themeNames.firstIndex(of: s.themeName) ?? -1
            s.themeName = s.themeNames[(i + 1) % s.themeNames.count]
            setStatus(&s, "Theme: \(s.themeName)")
            return [.applyTheme(s.themeName)]
        case .refreshFaster, .refreshSlower:
            let faster = action == .refreshFaster
            let next = faster ? refreshSteps.last { $0 < s.refreshInterval } : refreshSteps.first { $0 > s.refreshInterval }
            guard let next else {
                setStatus(&s, "Refresh is already every \(Format.duration(s.refreshInterval))")
                return []
            }
            s.refreshInterval = next
            setStatus(&s, "Refreshing every \(Format.duration(next))")
            return [.setRefreshInterval(next)]
        case .pauseTail:
            guard s.tail.target != nil else { return [] }
            s.tail.paused.toggle()
            // Continuing after a full anchored window is live: new messages push the oldest out.
            if !s.tail.paused, s.tail.windowFull {
                s.tail.windowFull = false
                s.tail.anchored = false
            }
            return [.setTailPaused(s.tail.paused)]
        case .toggleFollow:
            s.tail.follow.toggle()
        case .seekBeginning: return seek(&s, .beginning)
        case .seekEnd: return seek(&s, .end)
        case .seekOffset:
            if s.tail.target != nil { s.prompt = Prompt(.seekOffset) }
        case .seekTimestamp:
            if s.tail.target != nil { s.prompt = Prompt(.seekTimestamp) }
        default: break
        }
        return []
    }

    /// Restarts broker `id`: one that is down starts at once; a running one only once confirmed
    /// (it stops first); one already restarting is left alone (a repeated `r` does nothing).
    static func restart(_ s: inout AppState, _ id: Int32, confirmed: Bool) -> [Effect] {
        guard let process = s.processes[id] else { return [] }
        if process.restarting {
            setStatus(&s, "Broker \(id) is already restarting: it starts again once it has stopped")
            return []
        }
        if process.isRunning && !confirmed {
            s.dialog = .restartBroker(RestartBrokerDialog.make(broker: id, state: s))
            return []
        }
        setStatus(&s, process.isRunning ? "Restarting broker \(id)…" : "Starting broker \(id)…")
        return [.restartBroker(id)]
    }

    /// Tells the tail consumer to jump, and clears what it received so far. A seek to the
    /// beginning, an offset or a time shows the first messages from there and stays on them
    /// (anchored: no autoscroll, the first ``TailState/capacity`` kept); a seek to the end follows.
    static func seek(_ s: inout AppState, _ position: TailPosition) -> [Effect] {
        guard s.tail.target != nil else {
            setStatus(&s, "Nothing is tailed", error: true)
            return []
        }
        s.tail.messages = []
        s.tail.received = 0
        s.tail.position = position
        s.tail.anchored = position.anchors
        s.tail.windowFull = false
        s.tail.follow = !position.anchors
        s.tail.paused = false
        s.lists[Page.tail.listID] = ListPosition()
        return [.seekTail(position)]
    }

    private static func tailSelection(_ s: inout AppState) -> [Effect] {
        if let topic = selectedTopic(s), s.page != .tail {
            return startTail(&s, TailTarget(topic: topic, partition: selectedPartition(s)))
        }
        if s.tail.target != nil {
            if s.page != .tail { go(&s, .tail) }
            return []
        }
        s.prompt = Prompt(.command, text: "tail ")
        return []
    }

    /// The broker selected on the Brokers page.
    private static func selectedBroker(_ s: AppState) -> Int32? {
        guard s.page == .brokers else { return nil }
        return selectedID(s).flatMap { Int32($0) }
    }

    /// The topic of the selected row (topics, partitions, group partitions), or the tailed topic.
    static func selectedTopic(_ s: AppState) -> String? {
        switch s.page {
        case .topics: return selectedID(s)
        case .partitions, .groupDetail:
            guard let id = selectedID(s) else { return nil }
            return s.snapshot?.partitions.first { $0.key.description == id }?.topic
        default: return s.tail.target?.topic
        }
    }

    static func selectedPartition(_ s: AppState) -> Int32? {
        switch s.page {
        case .partitions, .groupDetail:
            guard let id = selectedID(s) else { return nil }
            return s.snapshot?.partitions.first { $0.key.description == id }?.partition
        case .tail, .messageDetail: return s.tail.target?.partition
        default: return nil
        }
    }
}
