import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOSSL

/// A TLS server context that follows its files: ``reloadIfChanged()`` (called periodically, off
/// the event loops) rebuilds the context when a key store or trust store file's content changed,
/// and new connections then use the new certificate; connections already open keep theirs. A
/// file caught half-written (or otherwise unusable) keeps the previous context in force and is
/// retried on the next call.
public final class ReloadingTLSContext: Sendable {
    public let settings: TLSServerSettings
    private let state: NIOLockedValueBox<(context: NIOSSLContext, fingerprint: [UInt8])>

    /// Builds the first context (blocking); throws when the settings cannot be used.
    public init(settings: TLSServerSettings) throws {
        self.settings = settings
        let fingerprint = Self.fingerprint(settings.files)
        state = NIOLockedValueBox((try settings.makeContext(), fingerprint))
    }

    /// The context for a new connection.
    public var current: NIOSSLContext { state.withLockedValue { $0.context } }

    public enum ReloadOutcome: Sendable, Equatable {
        case unchanged
        case reloaded
        case failed(String)
    }

    /// Rebuilds the context if a file changed (blocking file I/O).
    @discardableResult
    public func reloadIfChanged() -> ReloadOutcome {
        let fingerprint = Self.fingerprint(settings.files)
        guard fingerprint != state.withLockedValue({ $0.fingerprint }) else { return .unchanged }
        do {
            let context = try settings.makeContext()
            state.withLockedValue { $0 = (context, fingerprint) }
            return .reloaded
        } catch {
            return .failed("\(error)")
        }
    }

    /// A digest of the files' contents (a missing file counts as empty).
    private static func fingerprint(_ files: [String]) -> [UInt8] {
        var hasher = SHA256()
        for file in files {
            hasher.update(data: Array(file.utf8))
            hasher.update(data: Array(FileManager.default.contents(atPath: file) ?? Data()))
        }
        return Array(hasher.finalize())
    }
}
