extension Reducer {
    /// Routes a key to the dialog, the prompt, the help overlay, or the key table, in that order.
    static func handleKey(_ s: inout AppState, _ key: Key) -> [Effect] {
        if s.isTooSmall {
            // Only quitting makes sense on a screen that cannot show anything.
            return key == .char("q") || key == .ctrl("c") ? quit(&s) : []
        }
        // Ctrl-C quits everywhere, as the help says: a dialog or prompt open is dropped.
        if key == .ctrl("c") {
            s.dialog = nil
            s.prompt = nil
            s.showHelp = false
            return quit(&s)
        }
        if s.dialog != nil { return dialogKey(&s, key) }
        if s.prompt != nil { return promptKey(&s, key) }
        if s.showHelp {
            // Scrolling keys move the help; ? and Esc close it; any other key closes it and acts.
            let page = Layout.visibleRows(width: s.width, height: s.height, page: .events)
            let delta: Int? = switch key {
            case .down, .char("j"): 1
            case .up, .char("k"): -1
            case .pageDown, .ctrl("f"), .char(" "): page
            case .pageUp, .ctrl("b"): -page
            case .home, .char("g"): -1_000_000
            case .end, .char("G"): 1_000_000
            default: nil
            }
            if let delta {
                s.helpScroll = max(0, min(HelpOverlay.maxScroll(s), s.helpScroll + delta))
                return []
            }
            s.showHelp = false
            if key == .char("?") || key == .escape { return [] }
        }
        guard let binding = KeyTable.binding(for: key, scopes: s.page.scopes) else { return [] }
        if binding.embeddedOnly && !s.mode.isEmbedded {
            setStatus(&s, "\(binding.hint.capitalizedFirst) is unavailable: this console watches a remote cluster, "
                          + "whose processes it does not own", error: true)
            return []
        }
        return perform(&s, binding.action, key: key)
    }

    static func perform(_ s: inout AppState, _ action: Action, key: Key) -> [Effect] {
        switch action {
        case .quit: return quit(&s)
        case .help:
            s.showHelp.toggle()
            s.helpScroll = 0
        case .showViewByNumber:
            if case .char(let c) = key, let n = c.wholeNumberValue, let view = ViewID(rawValue: n) { go(&s, view) }
        case .nextView: go(&s, ViewID(rawValue: s.page.view.rawValue % 6 + 1)!)
        case .previousView: go(&s, ViewID(rawValue: (s.page.view.rawValue + 4) % 6 + 1)!)
        case .moveUp: move(&s, by: -1)
        case .moveDown: move(&s, by: 1)
        case .pageUp: move(&s, by: -max(1, Layout.visibleRows(width: s.width, height: s.height, page: s.page) - 1))
        case .pageDown: move(&s, by: max(1, Layout.visibleRows(width: s.width, height: s.height, page: s.page) - 1))
        case .top: move(&s, by: -1_000_000_000)
        case .bottom: move(&s, by: 1_000_000_000)
        case .drillDown: return drillDown(&s)
        case .back: back(&s)
        case .filter:
            let kind = s.page.listKind
            s.prompt = Prompt(.filter(kind, previous: s.filter(kind)), text: s.filter(kind))
        case .commandPrompt: s.prompt = Prompt(.command)
        case .sortNext, .sortReverse:
            let kind = s.page.listKind
            let names = ListSorts.names(kind)
            guard names.count > 1 else {
                setStatus(&s, "This list has a fixed order")
                return []
            }
            var order = s.sort(kind)
            if action == .sortNext { order.column = (order.column + 1) % names.count } else { order.descending.toggle() }
            s.sorts[kind] = order
        default: return Reducer.clusterAction(&s, action)
        }
        return []
    }

    static func quit(_ s: inout AppState) -> [Effect] {
        s.quitting = true
        setStatus(&s, s.mode.isEmbedded ? "Stopping the brokers (their data is kept)…" : "Quitting…")
        return [.quit]
    }

    static func go(_ s: inout AppState, _ view: ViewID) {
        s.page = .top(view)
        s.backStack = []
        // Events shown anew start at the newest.
        if view == .events {
            s.eventsFollow = true
            s.eventsUnseen = 0
        }
    }

    static func push(_ s: inout AppState, _ page: Page) {
        s.backStack.append(s.page)
        s.page = page
    }

    static func back(_ s: inout AppState) {
        if let previous = s.backStack.popLast() {
            s.page = previous
        } else if !s.filter(s.page.listKind).isEmpty {
            s.filters[s.page.listKind] = nil
        }
    }

    /// Moves the selection (or, on a message detail page, the scroll position).
    static func move(_ s: inout AppState, by delta: Int) {
        let page = s.page
        let ids = Screen.rowIDs(s, page: page)
        var position = s.position(page)
        if page.isDetail {
            let visible = Layout.visibleRows(width: s.width, height: s.height, page: page)
            position.scrollTop = max(0, min(ids.count - visible, position.scrollTop + delta))
            s.lists[page.listID] = position
            return
        }
        guard !ids.isEmpty, let current = Selection.resolve(position, ids: ids, visible: 1) else { return }
        let index = max(0, min(ids.count - 1, current.selectedIndex + max(-ids.count, min(ids.count, delta))))
        position.selectedIndex = index
        position.selectedID = ids[index]
        s.lists[page.listID] = position
        // In the tail, moving up stops autoscroll; reaching the bottom resumes it. Events (newest
        // first) follow the newest while the selection is on the top row.
        if page == .tail { s.tail.follow = index == ids.count - 1 }
        if page == .events {
            s.eventsFollow = index == 0
            if index == 0 { s.eventsUnseen = 0 }
        }
    }

    /// The id of the selected row of the current page, if any.
    static func selectedID(_ s: AppState) -> String? {
        let ids = Screen.rowIDs(s, page: s.page)
        return Selection.resolve(s.position(s.page), ids: ids, visible: 1)?.selectedID
    }

    static func drillDown(_ s: inout AppState) -> [Effect] {
        guard let id = selectedID(s) else { return [] }
        switch s.page {
        case .brokers: if let b = Int32(id) { push(&s, .partitions(.broker(b))) }
        case .topics: push(&s, .partitions(.topic(id)))
        case .partitions:
            if let key = s.snapshot?.partitions.first(where: { $0.key.description == id })?.key {
                return startTail(&s, TailTarget(topic: key.topic, partition: key.partition))
            }
        case .groups: push(&s, .groupDetail(id))
        case .groupDetail(let group):
            if let o = s.snapshot?.group(group)?.offsets.first(where: { $0.key.description == id }) {
                return startTail(&s, TailTarget(topic: o.key.topic, partition: o.key.partition))
            }
        case .tail: push(&s, .messageDetail(id))
        case .events: if let n = Int(id) { push(&s, .eventDetail(n)) }
        case .messageDetail, .eventDetail: break
        }
        return []
    }

    /// Starts tailing `target` (the last 100 messages of each partition, then new ones) and shows it.
    static func startTail(_ s: inout AppState, _ target: TailTarget, from position: TailPosition = .recent(100)) -> [Effect] {
        var tail = TailState()
        tail.target = target
        tail.position = position
        s.tail = tail
        s.filters[.tail] = nil
        s.lists[Page.tail.listID] = ListPosition()
        if s.page != .tail { push(&s, .tail) }
        return [.startTail(target, position)]
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
