/// Keeps responses in request order on one connection.
///
/// Requests get consecutive sequence numbers as they arrive; handlers may finish in any order
/// (a long-polling fetch finishes late), but a response is released only when every earlier
/// request has been answered (or needs no answer, like `acks=0` produce).
struct ResponseOrdering<Response> {
    enum Outcome {
        case respond(Response)
        case silent
    }

    private var nextSequence = 0
    private var nextToRelease = 0
    private var finished: [Int: Outcome] = [:]

    /// Requests received and not yet released.
    var inFlight: Int { nextSequence - nextToRelease }

    /// Takes a sequence number for a request that has just arrived.
    mutating func admit() -> Int {
        defer { nextSequence += 1 }
        return nextSequence
    }

    /// Records a finished request; returns the outcomes that may now go out, in order.
    mutating func finish(_ sequence: Int, _ outcome: Outcome) -> [Outcome] {
        precondition(sequence >= nextToRelease && sequence < nextSequence && finished[sequence] == nil,
                     "request \(sequence) finished twice or was never admitted")
        finished[sequence] = outcome
        var released: [Outcome] = []
        while let next = finished.removeValue(forKey: nextToRelease) {
            released.append(next)
            nextToRelease += 1
        }
        return released
    }

    /// Drops everything not yet released (the connection closed); returns what was dropped.
    mutating func drain() -> [Outcome] {
        let dropped = finished.sorted { $0.key < $1.key }.map(\.value)
        finished.removeAll()
        nextToRelease = nextSequence
        return dropped
    }
}
