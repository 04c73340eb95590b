import Logging
import SluiceRaft

/// The metadata log's application: replays committed entries into the ``MetadataImage``,
/// publishes each new image, hands entries to the controller, and snapshots the image every
/// `snapshotBytes` of records (the Raft core then drops the log before the snapshot).
///
/// Confined to the Raft driver (its callbacks run on the driver's queue with its lock held).
final class MetadataLog: RaftApplication, @unchecked Sendable {
    private let logger: Logger
    private let view: MetadataView
    private let controller: Controller?
    private let snapshotBytes: Int
    private var image = MetadataImage()
    private var bytesSinceSnapshot = 0

    init(view: MetadataView, controller: Controller?, snapshotBytes: Int, logger: Logger) {
        self.view = view
        self.controller = controller
        self.snapshotBytes = snapshotBytes
        self.logger = logger
    }

    func restore(_ snapshot: RaftSnapshot, driver: RaftDriver) {
        do {
            image = MetadataImage.fromSnapshot(try MetadataRecordCodec.decode(snapshot.data), offset: snapshot.id.offset)
        } catch {
            logger.critical("the metadata snapshot \(snapshot.id) cannot be decoded: \(error)")
            image = MetadataImage()
            image.offset = snapshot.id.offset
        }
        bytesSinceSnapshot = 0
        logger.info("metadata restored from snapshot at offset \(snapshot.id.offset)")
        controller?.didRestore(committedImage: image)
        view.publish(image)
    }

    func apply(_ entries: [LogEntry], driver: RaftDriver) {
        for entry in entries {
            if case .data(let bytes) = entry.payload {
                do {
                    for record in try MetadataRecordCodec.decode(bytes) {
                        if let problem = image.apply(record) {
                            logger.warning("metadata record at offset \(entry.offset) skipped: \(problem)")
                        }
                    }
                } catch {
                    logger.error("metadata entry at offset \(entry.offset) cannot be decoded (skipped): \(error)")
                }
                bytesSinceSnapshot += bytes.count
            }
            image.offset = entry.offset + 1
        }
        controller?.didApply(entries, committedImage: image, driver: driver)
        view.publish(image)
        if bytesSinceSnapshot >= snapshotBytes {
            bytesSinceSnapshot = 0
            driver.takeSnapshotLocked(endOffset: image.offset, data: MetadataRecordCodec.encode(image.snapshotRecords))
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
