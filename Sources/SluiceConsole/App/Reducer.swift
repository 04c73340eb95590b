/// The console's logic: `reduce(state, event) -> (state, effects)`. Pure: no IO, no clock, no
/// randomness; the runtime performs the effects and feeds their answers back as events.
public enum Reducer {
    public static func reduce(_ state: AppState, _ event: AppEvent) -> (AppState, [Effect]) {
        var s = state
        var effects: [Effect] = []
        switch event {
        case .key(let key):
            effects = handleKey(&s, key)
        case .resize(let w, let h):
            s.width = w
            s.height = h
        case .tick(let wall, let monotonic):
            s.now = wall
            s.monotonicNow = monotonic
        case .snapshot(let snapshot):
            var derived = EventDeriver.events(from: s.snapshot, to: snapshot)
            if s.pollError != nil, s.snapshot != nil {
                derived.insert(ClusterEvent(time: snapshot.takenAt, kind: .broker, severity: .good,
                                            text: "The cluster answers again"), at: 0)
            }
            s.snapshot = snapshot
            s.pollError = nil
            for (id, p) in s.processes where p.isRunning && p.startedAt <= snapshot.monotonic
                && snapshot.broker(id)?.registered == true {
                s.processes[id]?.seenUpSinceStart = true
            }
            record(&s, derived)
        case .pollFailed(let message):
            if s.pollError == nil && s.snapshot != nil {
                record(&s, [ClusterEvent(time: s.now, kind: .broker, severity: .failure,
                                         text: "Lost contact with the cluster: \(message)")])
            }
            s.pollError = message
        case .brokerProbes(let probes):
            // A failed poll says nothing of the brokers; these bare connection attempts do.
            if var snap = s.snapshot {
                for i in snap.brokers.indices { if let p = probes[snap.brokers[i].id] { snap.brokers[i].probe = p } }
                s.snapshot = snap
            }
        case .processes(let table):
            var next: [Int32: BrokerProcess] = [:]
            for var p in table {
                if let old = s.processes[p.id], old.startedAt == p.startedAt { p.seenUpSinceStart = old.seenUpSinceStart }
                next[p.id] = p
            }
            s.processes = next
        case .processEvent(let e):
            record(&s, [e])
        case .topicCreated(let name, let error):
            topicCreated(&s, name: name, error: error)
            if error == nil { effects.append(.pollNow) }
        case .topicDeleted(let name, let error):
            topicDeleted(&s, name: name, error: error)
            if error == nil { effects.append(.pollNow) }
        case .produced(let topic, let partition, let offset):
            if case .produce = s.dialog { s.dialog = nil }
            setStatus(&s, "Produced to \(topic)-\(partition) at offset \(offset)")
        case .produceFailed(let message):
            if case .produce(var form) = s.dialog {
                form.pending = false
                form.error = message
                s.dialog = .produce(form)
            } else {
                setStatus(&s, "Produce failed: \(message)", error: true)
            }
        case .tailMessages(let batch):
            s.tail.append(batch)
            s.tail.error = nil
            s.tail.topicMissing = nil
        case .tailTopicMissing(let deleted):
            guard let topic = s.tail.target?.topic else { break }
            s.tail.topicMissing = deleted ? .deleted : .notCreated
            s.tail.error = nil
            setStatus(&s, deleted ? "Topic \(topic) was deleted: the tail waits for it to be created again"
                                  : "No topic \(topic): the tail waits for it to be created", error: true)
        case .tailTopicRecreated:
            guard let topic = s.tail.target?.topic else { break }
            // A new topic of the same name: nothing of the old one stays on screen.
            let target = s.tail.target
            s.tail = TailState()
            s.tail.target = target
            s.tail.position = .beginning
            s.lists[Page.tail.listID] = ListPosition()
            setStatus(&s, "Topic \(topic) was created again: tailing the new topic from its beginning")
        case .tailWindowFull:
            guard s.tail.anchored, !s.tail.windowFull else { break }
            s.tail.windowFull = true
            s.tail.paused = true
            setStatus(&s, "Tail paused: the first \(s.tail.messages.count) messages from the seek point are shown; "
                          + "Space continues (live), e goes to the end")
            effects = [.setTailPaused(true)]
        case .tailFailed(let message):
            s.tail.error = message
        case .actionFailed(let message):
            setStatus(&s, message, error: true)
            record(&s, [ClusterEvent(time: s.now, kind: .action, severity: .failure, text: message)])
        case .actionDone(let message):
            setStatus(&s, message)
        case .demoLoadStatus(let trouble):
            guard s.demoLoad else { break }
            // One event when it starts failing and one when it works again; the header and the
            // status line show the current trouble in between.
            if let trouble, s.demoLoadTrouble == nil {
                record(&s, [ClusterEvent(time: s.now, kind: .action, severity: .failure,
                                         text: "Demo load cannot run, retrying: \(trouble)")])
            } else if trouble == nil, s.demoLoadTrouble != nil {
                record(&s, [ClusterEvent(time: s.now, kind: .action, severity: .good,
                                         text: "Demo load recovered: producing and consuming again")])
            }
            s.demoLoadTrouble = trouble
        case .stopProgress(let progress):
            s.stopProgress = progress
        case .terminate(let signal):
            effects = quit(&s)
            setStatus(&s, "\(signal): " + (s.status?.text ?? "quitting"))
        }
        // A dialog that opens takes over: an earlier outcome ("Created topic …") is not left beside it.
        if state.dialog == nil, s.dialog != nil { s.status = nil }
        noteHealth(&s, before: state)
        normalizeSelection(&s)
        return (s, effects)
    }

    /// Keeps the current page's selection on an existing row and visible; in a following tail, on the newest row.
    static func normalizeSelection(_ s: inout AppState) {
        let page = s.page
        if page.isDetail { return }
        let ids = Screen.rowIDs(s, page: page)
        var position = s.position(page)
        if page == .tail, s.tail.follow, let last = ids.last {
            position.selectedID = last
            position.selectedIndex = ids.count - 1
        }
        if page == .events, s.eventsFollow, let newest = ids.first {
            position.selectedID = newest
            position.selectedIndex = 0
            position.scrollTop = 0
        }
        let visible = Layout.visibleRows(width: s.width, height: s.height, page: page)
        if let resolved = Selection.resolve(position, ids: ids, visible: visible) {
            s.lists[page.listID] = resolved
        } else {
            s.lists[page.listID] = ListPosition(selectedID: nil, selectedIndex: 0, scrollTop: 0)
        }
    }

    static func setStatus(_ s: inout AppState, _ text: String, error: Bool = false) {
        s.status = StatusMessage(text, isError: error, at: s.monotonicNow)
    }

    /// Appends events to the timeline, numbering them and dropping the oldest beyond the limit.
    static func record(_ s: inout AppState, _ events: [ClusterEvent]) {
        var next = (s.events.last?.id ?? 0) + 1
        for var e in events {
            e.id = next
            next += 1
            s.events.append(e)
        }
        if !s.eventsFollow { s.eventsUnseen += events.count }
        if s.events.count > AppState.maxEvents { s.events.removeFirst(s.events.count - AppState.maxEvents) }
    }

    private static func topicCreated(_ s: inout AppState, name: String, error: String?) {
        guard case .newTopic(var form) = s.dialog, form.pending else {
            setStatus(&s, error.map { "Creating \(name) failed: \($0)" } ?? "Created topic \(name)", error: error != nil)
            return
        }
        form.pending = false
        if let error {
            form.error = error
            s.dialog = .newTopic(form)
        } else {
            s.dialog = nil
            setStatus(&s, "Created topic \(name)")
            // Select the new topic when the next poll lists it.
            if s.page == .topics { s.lists[Page.topics.listID]?.selectedID = name }
        }
    }

    private static func topicDeleted(_ s: inout AppState, name: String, error: String?) {
        guard case .deleteTopic(var dialog) = s.dialog, dialog.pending else {
            setStatus(&s, error.map { "Deleting \(name) failed: \($0)" } ?? "Deleted topic \(name)", error: error != nil)
            return
        }
        dialog.pending = false
        if let error {
            dialog.error = error
            s.dialog = .deleteTopic(dialog)
        } else {
            s.dialog = nil
            setStatus(&s, "Deleted topic \(name)")
        }
    }
}
