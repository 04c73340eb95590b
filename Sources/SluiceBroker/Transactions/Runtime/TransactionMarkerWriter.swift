/// Where the transaction coordinator's markers go: to the leader of each partition of a
/// transaction (WriteTxnMarkers, or an append when this broker leads it).
public protocol TransactionMarkerWriter: Sendable {
    /// Writes the job's markers, retrying failed partitions (a leader moving, a broker down)
    /// while `stillWanted()` holds, and calls `completion` once every partition has its marker
    /// or is gone (a deleted topic). Never calls `completion` for a job abandoned because
    /// `stillWanted()` turned false.
    func write(_ job: MarkerJob, stillWanted: @escaping @Sendable () -> Bool,
               completion: @escaping @Sendable () -> Void)
}
