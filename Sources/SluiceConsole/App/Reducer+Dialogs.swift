extension Reducer {
    static func dialogKey(_ s: inout AppState, _ key: Key) -> [Effect] {
        switch s.dialog {
        case .newTopic(var form)?:
            switch form.handle(key) {
            case .cancel: s.dialog = nil
            case .edited: s.dialog = .newTopic(form)
            case .submit:
                switch NewTopicForm.validate(form) {
                case .failure(let problem):
                    form.error = problem.message
                    s.dialog = .newTopic(form)
                case .success(let spec):
                    form.pending = true
                    form.error = nil
                    s.dialog = .newTopic(form)
                    return [.createTopic(spec)]
                }
            }
        case .produce(var form)?:
            switch form.handle(key) {
            case .cancel: s.dialog = nil
            case .edited: s.dialog = .produce(form)
            case .submit:
                switch ProduceForm.validate(form) {
                case .failure(let problem):
                    form.error = problem.message
                    s.dialog = .produce(form)
                case .success(let spec):
                    form.pending = true
                    form.error = nil
                    s.dialog = .produce(form)
                    return [.produce(spec)]
                }
            }
        case .deleteTopic(var dialog)?:
            switch dialog.handle(key) {
            case .cancel: s.dialog = nil
            case .edited: s.dialog = .deleteTopic(dialog)
            case .confirmed:
                dialog.pending = true
                s.dialog = .deleteTopic(dialog)
                return [.deleteTopic(dialog.topic)]
            }
        case .killBroker(let dialog)?:
            s.dialog = nil
            if key == .char("y") || key == .char("Y") {
                setStatus(&s, "Killed broker \(dialog.broker) (SIGKILL)")
                return [.killBroker(dialog.broker)]
            }
            setStatus(&s, "Kill cancelled")
        case .restartBroker(let dialog)?:
            s.dialog = nil
            if key == .char("y") || key == .char("Y") { return restart(&s, dialog.broker, confirmed: true) }
            setStatus(&s, "Restart cancelled")
        case nil:
            break
        }
        return []
    }

    static func promptKey(_ s: inout AppState, _ key: Key) -> [Effect] {
        guard var prompt = s.prompt else { return [] }
        switch key {
        case .escape:
            if case .filter(let kind, let previous) = prompt.kind { s.filters[kind] = previous.isEmpty ? nil : previous }
            s.prompt = nil
            return []
        case .enter:
            return submitPrompt(&s, prompt)
        default:
            guard prompt.field.handle(key) else { return [] }
            prompt.error = nil
            // Filters apply while typing; an invalid tail regex keeps the last valid filter.
            if case .filter(let kind, _) = prompt.kind {
                do {
                    if kind == .tail { _ = try TailFilter(prompt.field.text) }
                    s.filters[kind] = prompt.field.text.isEmpty ? nil : prompt.field.text
                } catch {
                    prompt.error = error.message
                }
            }
            s.prompt = prompt
            return []
        }
    }

    private static func submitPrompt(_ s: inout AppState, _ prompt: Prompt) -> [Effect] {
        var prompt = prompt
        let text = prompt.field.text.trimmingSpaces
        switch prompt.kind {
        case .filter:
            if prompt.error != nil { return [] }
            s.prompt = nil
            return []
        case .command:
            s.prompt = nil
            switch Commands.run(&s, text) {
            case .success(let effects): return effects
            case .failure(let problem):
                prompt.error = problem.message
                s.prompt = prompt
                return []
            }
        case .seekOffset:
            guard let offset = Int64(text), offset >= 0 else {
                prompt.error = "an offset is a whole number ≥ 0"
                s.prompt = prompt
                return []
            }
            s.prompt = nil
            return seek(&s, .offset(offset))
        case .seekTimestamp:
            guard let millis = Commands.parseTime(text, now: s.now, zone: s.timeZone) else {
                prompt.error = "try 2024-05-01T12:00:00, -5m or epoch milliseconds"
                s.prompt = prompt
                return []
            }
            s.prompt = nil
            return seek(&s, .timestamp(millis))
        }
    }
}
