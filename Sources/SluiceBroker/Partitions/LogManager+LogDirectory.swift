import SluiceStorage

/// The storage layer's manager of a data directory is the broker's ``LogDirectory``.
extension LogManager: LogDirectory {}
