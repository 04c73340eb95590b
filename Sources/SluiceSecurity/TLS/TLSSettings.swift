import NIOSSL

/// `ssl.client.auth`: whether a TLS listener asks clients for a certificate.
public enum SSLClientAuth: String, Sendable, CaseIterable, Hashable {
    /// No client certificate is asked for.
    case none
    /// Asked for; a client without one connects as `User:ANONYMOUS`, one with a certificate
    /// that does not verify is refused.
    case requested
    /// A verified client certificate is needed to connect.
    case required
}

/// A TLS server's settings (one listener): what builds its `NIOSSLContext`.
public struct TLSServerSettings: Sendable, Hashable {
    public var keyStore: PEMKeyStore
    public var trustStore: PEMTrustStore?
    public var clientAuth: SSLClientAuth

    public init(keyStore: PEMKeyStore, trustStore: PEMTrustStore?, clientAuth: SSLClientAuth) {
        self.keyStore = keyStore
        self.trustStore = trustStore
        self.clientAuth = clientAuth
    }

    /// Every file the context is built from (watched for rotation).
    public var files: [String] { keyStore.files + (trustStore?.files ?? []) }

    /// Reads the files and builds the context (blocking: call off the event loops).
    public func makeContext() throws -> NIOSSLContext {
        let (key, chain) = try keyStore.load()
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                           privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        if let trustStore {
            tls.trustRoots = .certificates(try trustStore.load())
        } else if clientAuth != .none {
            throw SecurityConfigError("ssl.client.auth=\(clientAuth.rawValue) needs the CA certificates that sign client certificates (ssl.truststore.location)")
        }
        switch clientAuth {
        case .none: tls.certificateVerification = .none
        case .requested: tls.certificateVerification = .optionalVerification
        case .required: tls.certificateVerification = .noHostnameVerification
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw SecurityConfigError("the TLS key store cannot be used (does the key match the certificate?): \(error)")
        }
    }
}

/// A TLS client's settings: the CA certificates to trust (nil: the system's), an optional client
/// certificate (mTLS), and whether the server's name must match its certificate (Kafka's
/// `ssl.endpoint.identification.algorithm=https`, the default).
public struct TLSClientSettings: Sendable, Hashable {
    public var trustStore: PEMTrustStore?
    public var keyStore: PEMKeyStore?
    public var verifyHostname: Bool

    public init(trustStore: PEMTrustStore? = nil, keyStore: PEMKeyStore? = nil, verifyHostname: Bool = true) {
        self.trustStore = trustStore
        self.keyStore = keyStore
        self.verifyHostname = verifyHostname
    }

    /// Reads the files and builds the context (blocking: call off the event loops).
    public func makeContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let trustStore { tls.trustRoots = .certificates(try trustStore.load()) }
        if let keyStore {
            let (key, chain) = try keyStore.load()
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(key)
        }
        tls.certificateVerification = verifyHostname ? .fullVerification : .noHostnameVerification
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw SecurityConfigError("the TLS client settings cannot be used: \(error)")
        }
    }

    /// The name to send as SNI and check against the certificate: nil for an IP address (the
    /// certificate's IP SANs are checked against the connected address instead).
    public static func serverHostname(for host: String) -> String? {
        isIPAddress(host) ? nil : host
    }

    static func isIPAddress(_ host: String) -> Bool {
        if host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
