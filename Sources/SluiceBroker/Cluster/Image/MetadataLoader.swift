/// Replays committed metadata batches into the image this node publishes, as Kafka's
/// `MetadataLoader` does: a transaction's records (`beginTransaction` … `endTransaction`, over
/// as many batches as they need) take effect together when it ends, an aborted one never does,
/// so no reader ever sees half of a large change (a topic with some of its partitions).
///
/// A pure value: the metadata log owns one and publishes ``image`` with the changes taken from
/// ``takeDelta()``.
struct MetadataLoader {
    /// The image as published: every committed record outside an open transaction.
    private(set) var image = MetadataImage()
    /// The open transaction: the image and changes it will publish when it ends.
    private var transaction: (name: String?, image: MetadataImage, delta: MetadataDelta)?
    /// Published changes not yet taken.
    private var delta = MetadataDelta()

    /// Whether a transaction has begun and neither ended nor been aborted.
    var hasOpenTransaction: Bool { transaction != nil }

    /// Replaces everything with a snapshot's image (an open transaction is forgotten: a snapshot is
    /// only taken between transactions).
    mutating func restore(_ snapshot: MetadataImage) {
        image = snapshot
        transaction = nil
        delta = .full
    }

    /// Applies one committed batch, the entry at `offset`. Returns what did not fit, for the log
    /// (the log is the authority: such a record is skipped, never a crash).
    mutating func replay(_ records: [MetadataRecord], offset: Int64) -> [String] {
        var problems: [String] = []
        for record in records {
            switch record {
            case .beginTransaction(let name):
                if let open = transaction {
                    problems.append("transaction \(open.name ?? "") never ended before another began; dropped")
                }
                transaction = (name, image, MetadataDelta())
            case .endTransaction:
                guard let open = transaction else {
                    problems.append("end of a transaction that never began")
                    continue
                }
                image = open.image
                delta.merge(open.delta)
                transaction = nil
            case .abortTransaction:
                transaction = nil
            default:
                if transaction != nil {
                    transaction!.delta.note(record, in: transaction!.image)
                    if let problem = transaction!.image.apply(record) { problems.append(problem) }
                } else {
                    delta.note(record, in: image)
                    if let problem = image.apply(record) { problems.append(problem) }
                }
            }
        }
        // Readers see the offset after the last record that took effect: inside a transaction the
        // published image stays where the transaction began.
        if transaction == nil {
            image.offset = offset + 1
        } else {
            transaction!.image.offset = offset + 1
        }
        return problems
    }

    /// The changes published since the last call.
    mutating func takeDelta() -> MetadataDelta {
        defer { delta = MetadataDelta() }
        return delta
    }
}
