import Foundation
import NIOSSL

/// Where a PEM key store comes from, in Kafka's terms (`ssl.keystore.type=PEM`): a file holding
/// the private key (PKCS#8, possibly encrypted, or PKCS#1/SEC1) and the certificate chain
/// (`ssl.keystore.location`), or the two as inline PEM text (`ssl.keystore.key` and
/// `ssl.keystore.certificate.chain`); `ssl.key.password` decrypts an encrypted key.
public struct PEMKeyStore: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        /// One file with the key and the chain.
        case file(String)
        /// The key and the chain in separate files (the client's `ssl.key.location` and
        /// `ssl.certificate.location`).
        case files(key: String, certificateChain: String)
        case inline(key: String, certificateChain: String)
    }

    public var source: Source
    public var keyPassword: String?

    public init(source: Source, keyPassword: String? = nil) {
        self.source = source
        self.keyPassword = keyPassword
    }

    /// The files to watch for changes (none for inline PEM).
    public var files: [String] {
        switch source {
        case .file(let path): [path]
        case let .files(key, chain): [key, chain]
        case .inline: []
        }
    }

    /// Reads and parses the key and chain (blocking file I/O: call off the event loops).
    public func load() throws -> (key: NIOSSLPrivateKey, chain: [NIOSSLCertificate]) {
        let keyBytes: [UInt8]
        let chainBytes: [UInt8]
        let origin: String
        switch source {
        case .file(let path):
            keyBytes = try readFile(path, what: "ssl.keystore.location")
            chainBytes = keyBytes
            origin = path
        case let .files(key, chain):
            keyBytes = try readFile(key, what: "ssl.key.location")
            chainBytes = try readFile(chain, what: "ssl.certificate.location")
            origin = key
        case let .inline(key, chain):
            keyBytes = Array(Self.unfold(key).utf8)
            chainBytes = Array(Self.unfold(chain).utf8)
            origin = "ssl.keystore.key"
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(chainBytes)
        } catch {
            throw SecurityConfigError("no PEM certificate chain could be read from \(origin): \(error)")
        }
        guard !chain.isEmpty else { throw SecurityConfigError("\(origin) holds no PEM certificate (-----BEGIN CERTIFICATE-----)") }
        let key: NIOSSLPrivateKey
        do {
            if let password = keyPassword {
                key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem) { (supply: ([UInt8]) -> Void) in
                    supply(Array(password.utf8))
                }
            } else {
                key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
            }
        } catch {
            let encrypted = String(decoding: keyBytes, as: UTF8.self).contains("ENCRYPTED")
            throw SecurityConfigError(encrypted && keyPassword == nil
                ? "the private key in \(origin) is encrypted: give its password in ssl.key.password"
                : "no usable PEM private key in \(origin) (a wrong ssl.key.password, or no -----BEGIN PRIVATE KEY----- block)")
        }
        return (key, chain)
    }

    /// Kafka accepts inline PEM on one line (the properties file folds it): put the line breaks
    /// back around the armour so that the PEM reader takes it.
    static func unfold(_ text: String) -> String {
        guard !text.contains("\n") else { return text }
        var out = text
        for marker in ["-----BEGIN ", "-----END "] {
            out = out.replacingOccurrences(of: marker, with: "\n" + marker)
        }
        // After each armour line's closing dashes, a newline; base64 has no spaces, so spaces split lines.
        var lines: [String] = []
        for line in out.split(separator: "\n") {
            let text = String(line)
            if let close = text.range(of: "-----", options: [], range: text.index(text.startIndex, offsetBy: 5)..<text.endIndex) {
                lines.append(String(text[..<close.upperBound]))
                lines.append(contentsOf: text[close.upperBound...].split(separator: " ").map(String.init))
            } else {
                lines.append(text)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// PEM CA certificates (`ssl.truststore.type=PEM` with `ssl.truststore.location`, or inline
/// `ssl.truststore.certificates`).
public struct PEMTrustStore: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        case file(String)
        case inline(String)
    }

    public var source: Source

    public init(source: Source) { self.source = source }

    public var files: [String] {
        if case .file(let path) = source { return [path] }
        return []
    }

    public func load() throws -> [NIOSSLCertificate] {
        let bytes: [UInt8]
        let origin: String
        switch source {
        case .file(let path):
            bytes = try readFile(path, what: "ssl.truststore.location")
            origin = path
        case .inline(let text):
            bytes = Array(PEMKeyStore.unfold(text).utf8)
            origin = "ssl.truststore.certificates"
        }
        let certificates = (try? NIOSSLCertificate.fromPEMBytes(bytes)) ?? []
        guard !certificates.isEmpty else { throw SecurityConfigError("\(origin) holds no PEM certificate (-----BEGIN CERTIFICATE-----)") }
        return certificates
    }
}

func readFile(_ path: String, what: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw SecurityConfigError("\(what): cannot read \(path)")
    }
    return Array(data)
}
