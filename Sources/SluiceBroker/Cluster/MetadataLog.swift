import Logging
import SluiceRaft

/// The metadata log's application: replays committed entries into the ``MetadataImage``
/// (through a ``MetadataLoader``, which makes transactions take effect whole), publishes each new
/// image with what changed, hands entries to the controller, and snapshots the image every
/// `snapshotBytes` of records (the Raft core then drops the log before the snapshot).
///
/// Confined to the driver's application queue (``RaftApplicationQueue``: its callbacks run there,
/// one at a time, in log order), never the Raft queue: replaying a large batch delays no tick,
/// fetch or vote.
final class MetadataLog: RaftApplication, @unchecked Sendable {
    private let logger: Logger
    private let view: MetadataView
    private let controller: Controller?
    private let snapshotBytes: Int
    private var loader = MetadataLoader()
    private var bytesSinceSnapshot = 0

    init(view: MetadataView, controller: Controller?, snapshotBytes: Int, logger: Logger) {
        self.view = view
        self.controller = controller
        self.snapshotBytes = snapshotBytes
        self.logger = logger
    }

    func restore(_ snapshot: RaftSnapshot, driver: RaftDriver) {
        do {
            loader.restore(MetadataImage.fromSnapshot(try MetadataRecordCodec.decode(snapshot.data), offset: snapshot.id.offset))
        } catch {
            logger.critical("the metadata snapshot \(snapshot.id) cannot be decoded: \(error)")
            var empty = MetadataImage()
            empty.offset = snapshot.id.offset
            loader.restore(empty)
        }
        bytesSinceSnapshot = 0
        logger.info("metadata restored from snapshot at offset \(snapshot.id.offset)")
        controller?.didRestore(committedImage: loader.image)
        view.publish(loader.image, delta: loader.takeDelta())
    }

    func apply(_ entries: [LogEntry], driver: RaftDriver) {
        let before = loader.image.offset
        for entry in entries {
            var records: [MetadataRecord] = []
            if case .data(let bytes) = entry.payload {
                do {
                    records = try MetadataRecordCodec.decode(bytes)
                } catch {
                    logger.error("metadata entry at offset \(entry.offset) cannot be decoded (skipped): \(error)")
                }
                bytesSinceSnapshot += bytes.count
            }
            for problem in loader.replay(records, offset: entry.offset) {
                logger.warning("metadata record at offset \(entry.offset) skipped: \(problem)")
            }
        }
        controller?.didApply(entries, committedImage: loader.image, openTransaction: loader.hasOpenTransaction, driver: driver)
        let delta = loader.takeDelta()
        if loader.image.offset != before || !delta.isEmpty { view.publish(loader.image, delta: delta) }
        // A snapshot is the published image, so none is taken inside a transaction (its records
        // after the snapshot's offset would be replayed without their beginning).
        if bytesSinceSnapshot >= snapshotBytes && !loader.hasOpenTransaction {
            bytesSinceSnapshot = 0
            driver.takeSnapshot(endOffset: loader.image.offset, data: MetadataRecordCodec.encode(loader.image.snapshotRecords))
        }
    }

    func leaderChanged(_ leader: LeaderAndEpoch, driver: RaftDriver) {
        controller?.leaderChanged(leader, driver: driver)
        view.setController(leader.leaderID)
    }

    func tick(nowMs: Int64, driver: RaftDriver) {
        controller?.tick(nowMs: nowMs, driver: driver)
    }
}
