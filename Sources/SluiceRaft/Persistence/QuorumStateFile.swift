import Foundation

/// The `quorum-state` file, JSON as in Kafka (`{"leaderEpoch":5,"leaderId":1,"votedId":1,
/// "dataVersion":0}`, -1 for none), replaced atomically so a crash leaves the old or the new
/// state, never a torn one.
struct QuorumStateFile {
    let path: String
    let directory: String

    private struct Contents: Codable {
        var leaderEpoch: Int32
        var leaderId: Int32
        var votedId: Int32
        var dataVersion: Int
    }

    /// The stored state, or a fresh one if the file does not exist yet.
    func load() throws(RaftStoreError) -> QuorumState {
        try? PosixFile.removeFile(path + ".tmp")
        guard let bytes = try PosixFile.readAll(path) else { return QuorumState() }
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: Data(bytes))
        } catch {
            throw RaftStoreError(.corrupt, "\(path) is not a quorum state: \(error)")
        }
        guard contents.dataVersion == 0, contents.leaderEpoch >= 0 else {
            throw RaftStoreError(.corrupt, "\(path) has an unsupported version or a negative epoch")
        }
        return QuorumState(
            epoch: contents.leaderEpoch,
            votedID: contents.votedId >= 0 ? contents.votedId : nil,
            leaderID: contents.leaderId >= 0 ? contents.leaderId : nil
        )
    }

    func write(_ state: QuorumState) throws(RaftStoreError) {
        let contents = Contents(
            leaderEpoch: state.epoch, leaderId: state.leaderID ?? -1, votedId: state.votedID ?? -1, dataVersion: 0
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(contents)
        } catch {
            throw RaftStoreError(.io, "cannot encode the quorum state: \(error)")
        }
        try PosixFile.writeAtomically(Array(data), to: path, directory: directory)
    }
}
