import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SluiceSecurity

/// A listener's security at run time: its TLS context (reloaded when its files change), how a
/// client certificate becomes a principal, and the SASL exchange each new connection starts
/// with. ``BrokerServer`` asks it for the pipeline's TLS handler and each connection's
/// ``ConnectionSession``.
final class ListenerRuntime: Sendable {
    let security: ListenerSecurity
    let tls: ReloadingTLSContext?
    private let scramCredential: @Sendable (ScramMechanism, String) -> ScramCredential?
    private let failureDelay: TimeAmount
    /// Where file regions of responses are read on TLS listeners (nil: no TLS, or tests that
    /// serve no fetches): TLS encrypts in user space, so zero-copy sendfile cannot apply.
    let fileReadPool: NIOThreadPool?

    /// Builds the TLS context (blocking file reads: call off the event loops). `scramCredential`
    /// reads the metadata image at each SCRAM exchange.
    init(security: ListenerSecurity, failedAuthenticationDelayMs: Int32, fileReadPool: NIOThreadPool? = nil,
         scramCredential: @escaping @Sendable (ScramMechanism, String) -> ScramCredential?) throws {
        self.security = security
        self.fileReadPool = security.tls == nil ? nil : fileReadPool
        do {
            tls = try security.tls.map { try ReloadingTLSContext(settings: $0) }
        } catch {
            throw BrokerConfigError("listener \(security.name): \(error)")
        }
        self.scramCredential = scramCredential
        failureDelay = .milliseconds(Int64(failedAuthenticationDelayMs))
    }

    /// A plaintext listener without SASL (tests, and the default).
    static let plaintext = try! ListenerRuntime(
        security: ListenerSecurity(name: "PLAINTEXT", securityProtocol: .plaintext, tls: nil, principalMapper: .default,
                                   saslMechanisms: [], plainUsers: [:]),
        failedAuthenticationDelayMs: 100, scramCredential: { _, _ in nil })

    var listenerName: String { security.name }
    var securityProtocol: SecurityProtocol { security.securityProtocol }

    /// The state of a new connection (called on its event loop).
    func makeSession(eventLoop: any EventLoop) -> ConnectionSession {
        var authenticator: SaslAuthenticator?
        if security.securityProtocol.usesSASL {
            let users = security.plainUsers
            let lookup = scramCredential
            authenticator = SaslAuthenticator(enabledMechanisms: security.saslMechanisms) { mechanism in
                if mechanism == SaslMechanismName.plain { return .plain(PlainServer(users: users)) }
                guard let scram = ScramMechanism(rawValue: mechanism) else { return nil }
                return .scram(ScramServerSession(mechanism: scram) { user in lookup(scram, user) })
            }
        }
        return ConnectionSession(listenerName: security.name, securityProtocol: security.securityProtocol, sasl: authenticator,
                                 failureDelay: failureDelay, eventLoop: eventLoop)
    }

    /// The principal of a verified client certificate: `User:` + its subject after
    /// `ssl.principal.mapping.rules`. Throws when no rule applies or the certificate is unreadable.
    func principal(for certificate: NIOSSLCertificate) throws -> KafkaPrincipal {
        let subject = try X509SubjectName.rfc2253(certificateDER: try certificate.toDERBytes())
        return KafkaPrincipal(name: try security.principalMapper.name(for: subject))
    }

    /// On a TLS listener, a response's file regions (zero-copy fetches) read into memory on the
    /// I/O pool; otherwise the response as it is.
    func prepareForWrite(_ response: EventLoopFuture<EncodedResponse?>, on loop: any EventLoop) -> EventLoopFuture<EncodedResponse?> {
        guard security.tls != nil else { return response }
        return response.flatMap { [fileReadPool] encoded in
            guard let encoded, encoded.parts.contains(where: { if case .fileRegion = $0 { true } else { false } }) else {
                return loop.makeSucceededFuture(encoded)
            }
            guard let fileReadPool else {
                return loop.makeFailedFuture(BrokerConfigError("a file region to send over TLS, and no I/O pool to read it"))
            }
            return fileReadPool.runIfActive(eventLoop: loop) { try encoded.readingFileRegions() }
        }
    }

    /// Rebuilds the TLS context if its files changed; logs the outcome (blocking: off the loops).
    func reloadCertificates(logger: Logger) {
        guard let tls else { return }
        switch tls.reloadIfChanged() {
        case .unchanged: break
        case .reloaded: logger.info("listener \(security.name): TLS key store or trust store changed; new connections use the new certificates")
        case .failed(let why): logger.warning("listener \(security.name): the changed TLS files cannot be used (keeping the previous ones): \(why)")
        }
    }
}
