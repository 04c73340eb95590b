import Foundation
import NIOSSL
import Testing
@testable import SluiceSecurity

/// Subject names as Kafka's principals, `ssl.principal.mapping.rules`, PEM key and trust stores.
@Suite struct TLSSettingsTests {
    @Test func subjectIsRFC2253LastRDNFirst() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        let leaf = try await pki.issue("dave", subject: "/C=US/ST=CA/L=Santa Clara/O=Acme, Inc./OU=ops\\+x/CN=dave")
        let der = try NIOSSLCertificate.fromPEMFile(leaf.certificate)[0].toDERBytes()
        #expect(try X509SubjectName.rfc2253(certificateDER: der) == #"CN=dave,OU=ops\+x,O=Acme\, Inc.,L=Santa Clara,ST=CA,C=US"#)
        let plain = try await pki.issue("plain", subject: "/CN=dave")
        #expect(try X509SubjectName.rfc2253(certificateDER: try NIOSSLCertificate.fromPEMFile(plain.certificate)[0].toDERBytes()) == "CN=dave")
        // An attribute without a keyword: its OID and the DER value in hex, as Java prints it.
        let mail = try await pki.issue("mail", subject: "/emailAddress=a@b.c/CN=m")
        let name = try X509SubjectName.rfc2253(certificateDER: try NIOSSLCertificate.fromPEMFile(mail.certificate)[0].toDERBytes())
        #expect(name == "CN=m,1.2.840.113549.1.9.1=#1605614062 2e63".replacingOccurrences(of: " ", with: ""))
        #expect(throws: X509Error.self) { try X509SubjectName.rfc2253(certificateDER: [0x30, 0x05, 0x30]) }
    }

    @Test func principalMappingRulesAsKafkaParsesThem() throws {
        // Cases from Kafka's SslPrincipalMapperTest.
        let mapper = try SslPrincipalMapper(rules: """
            RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/ , RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,
            RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U, RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, DEFAULT
            """)
        #expect(try mapper.name(for: "CN=kafka1,OU=ServiceUsers,O=Org,C=US") == "kafka1")
        #expect(try mapper.name(for: "CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Santa Clara,ST=CA,C=US") == "duke@javasoft")
        #expect(try mapper.name(for: "cn=duke,ou=javasoft,dc=sun,dc=com") == "DUKE@JAVASOFT")
        #expect(try mapper.name(for: "OU=JavaSoft,O=Sun,CN=dave.x,C=US") == "DAVE.X")
        #expect(try mapper.name(for: "OU=nothing") == "OU=nothing")
        #expect(try SslPrincipalMapper.default.name(for: "CN=dave") == "CN=dave")
        let strict = try SslPrincipalMapper(rules: "RULE:^CN=(.*)$/$1/")
        #expect(throws: SecurityConfigError.self) { try strict.name(for: "OU=x") }
        for bad in ["RULE:^CN=(.*)$/$1", "NONSENSE", "RULE:[/$1/", "DEFAULT RULE:a/b/"] {
            #expect(throws: SecurityConfigError.self, "\(bad)") { try SslPrincipalMapper(rules: bad) }
        }
    }

    @Test func keyStoresLoadFromBundlesSeparateFilesAndInlineText() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        let leaf = try await pki.issue("broker", subject: "/CN=broker")
        let (_, chain) = try PEMKeyStore(source: .file(leaf.bundle)).load()
        #expect(chain.count == 2, "the leaf and the CA")
        _ = try PEMKeyStore(source: .files(key: leaf.key, certificateChain: leaf.certificate)).load()
        let key = try String(contentsOfFile: leaf.key, encoding: .utf8)
        let certificate = try String(contentsOfFile: leaf.certificate, encoding: .utf8)
        // A properties file folds inline PEM onto one line.
        let folded = PEMKeyStore(source: .inline(key: key.replacingOccurrences(of: "\n", with: " "),
                                                 certificateChain: certificate.replacingOccurrences(of: "\n", with: " ")))
        _ = try folded.load()
        _ = try TLSServerSettings(keyStore: PEMKeyStore(source: .file(leaf.bundle)), trustStore: nil, clientAuth: .none).makeContext()
    }

    @Test func encryptedKeysNeedTheirPassword() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        let leaf = try await pki.issue("locked", subject: "/CN=locked", keyPassword: "k3y-pass")
        _ = try PEMKeyStore(source: .file(leaf.bundle), keyPassword: "k3y-pass").load()
        do {
            _ = try PEMKeyStore(source: .file(leaf.bundle)).load()
            Issue.record("an encrypted key loaded without a password")
        } catch {
            #expect("\(error)".contains("ssl.key.password"))
        }
        #expect(throws: SecurityConfigError.self) { try PEMKeyStore(source: .file(leaf.bundle), keyPassword: "wrong").load() }
        #expect(throws: SecurityConfigError.self) { try PEMKeyStore(source: .file(pki.directory + "/missing.pem")).load() }
        #expect(throws: SecurityConfigError.self) { try PEMKeyStore(source: .file(leaf.certificate)).load() }
        #expect(throws: SecurityConfigError.self) { try PEMTrustStore(source: .file(leaf.key)).load() }
        // Client authentication needs CA certificates to check client certificates against.
        #expect(throws: SecurityConfigError.self) {
            try TLSServerSettings(keyStore: PEMKeyStore(source: .file(leaf.bundle), keyPassword: "k3y-pass"), trustStore: nil,
                                  clientAuth: .required).makeContext()
        }
    }

    @Test func aChangedKeyStoreIsReloadedAndABrokenOneKeepsTheOld() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        let first = try await pki.issue("one", subject: "/CN=one")
        let second = try await pki.issue("two", subject: "/CN=two")
        let path = pki.directory + "/live.pem"
        try FileManager.default.copyItem(atPath: first.bundle, toPath: path)
        let context = try ReloadingTLSContext(settings: TLSServerSettings(keyStore: PEMKeyStore(source: .file(path)),
                                                                          trustStore: nil, clientAuth: .none))
        let before = context.current
        #expect(context.reloadIfChanged() == .unchanged)
        try "half a file".write(toFile: path, atomically: true, encoding: .utf8)
        guard case .failed = context.reloadIfChanged() else { Issue.record("a broken key store was taken"); return }
        #expect(context.current === before)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: second.bundle, toPath: path)
        #expect(context.reloadIfChanged() == .reloaded)
        #expect(context.current !== before)
    }
}
