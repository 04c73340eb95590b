/// A message to produce, as the produce form validated it.
public struct ProduceSpec: Equatable, Sendable {
    public var topic: String
    /// nil: let the client choose (by key hash, or round-robin without a key).
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [TailMessage.Header]

    public init(topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8], headers: [TailMessage.Header] = []) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// The `p` dialog: topic, partition, key, value and headers of one message.
public enum ProduceForm {
    public static func make(topic: String, partition: Int32? = nil) -> Form {
        Form(title: "Produce a message", fields: [
            FormField("Topic", text: topic, limit: 1000, hint: "The topic to write to"),
            FormField("Partition", text: partition.map(String.init) ?? "", limit: 6,
                      hint: "Empty: chosen by the key (or spread without a key)"),
            FormField("Key", hint: "Empty: no key (null)"),
            FormField("Value", hint: "The message value (text; JSON is shown pretty in the tail)"),
            FormField("Headers", hint: HeaderSyntax.hint),
        ])
    }

    public static func validate(_ form: Form) -> Result<ProduceSpec, FormError> {
        let topic = form.value("Topic").trimmingSpaces
        if let problem = NewTopicForm.topicNameProblem(topic) { return .failure(FormError(problem)) }
        var partition: Int32?
        let p = form.value("Partition").trimmingSpaces
        if !p.isEmpty {
            guard let n = Int32(p), n >= 0 else { return .failure(FormError("Partition must be empty or a number ≥ 0")) }
            partition = n
        }
        let headers: [TailMessage.Header]
        switch HeaderSyntax.parse(form.value("Headers")) {
        case .success(let parsed): headers = parsed
        case .failure(let problem): return .failure(problem)
        }
        let key = form.value("Key")
        return .success(ProduceSpec(topic: topic, partition: partition, key: key.isEmpty ? nil : Array(key.utf8),
                                    value: Array(form.value("Value").utf8), headers: headers))
    }
}
