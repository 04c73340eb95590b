import Foundation

/// Test-only certificates, generated at run time with the `openssl` command into a fresh
/// temporary directory (no private key is ever committed): a CA, and leaf certificates it
/// signs (EC P-256, SANs `localhost` and `127.0.0.1` by default), optionally expired or with an
/// encrypted PKCS#8 key. `TestPKI(name:)` with another name is a "foreign" CA.
///
/// The same file lives in each test target that needs it (test targets cannot share sources).
struct TestPKI: Sendable {
    let directory: String
    let caCertificate: String
    let caKey: String

    /// A leaf certificate: its key (PKCS#8 PEM), its certificate, and the key store bundle
    /// (key, then certificate and CA: Kafka's `ssl.keystore.location` PEM layout).
    struct Leaf: Sendable {
        var key: String
        var certificate: String
        var bundle: String
    }

    init(name: String = "Sluice Test CA") async throws {
        directory = NSTemporaryDirectory() + "sluice-pki-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        caKey = directory + "/ca.key"
        caCertificate = directory + "/ca.pem"
        try await Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", caKey, "-out", caCertificate, "-days", "30", "-subj", "/CN=\(name)",
                          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try "".write(toFile: directory + "/index.txt", atomically: true, encoding: .utf8)
        try "1000\n".write(toFile: directory + "/serial", atomically: true, encoding: .utf8)
        try """
        [ca]
        default_ca = test
        [test]
        database = \(directory)/index.txt
        serial = \(directory)/serial
        new_certs_dir = \(directory)
        default_md = sha256
        policy = any
        unique_subject = no
        copy_extensions = none
        [any]
        commonName = optional
        organizationName = optional
        organizationalUnitName = optional
        countryName = optional
        emailAddress = optional
        localityName = optional
        stateOrProvinceName = optional
        """.write(toFile: directory + "/ca.cnf", atomically: true, encoding: .utf8)
    }

    /// Issues a certificate for `subject` (`/CN=dave/O=Acme`), valid now unless `expired`.
    func issue(_ name: String, subject: String, sans: [String] = ["DNS:localhost", "IP:127.0.0.1"],
               keyPassword: String? = nil, expired: Bool = false) async throws -> Leaf {
        let base = directory + "/" + name
        try await Self.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", base + ".key", "-out", base + ".csr", "-subj", subject])
        var extensions = "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n"
        if !sans.isEmpty { extensions += "subjectAltName=" + sans.joined(separator: ",") + "\n" }
        try extensions.write(toFile: base + ".ext", atomically: true, encoding: .utf8)
        var arguments = ["ca", "-batch", "-notext", "-config", directory + "/ca.cnf", "-cert", caCertificate, "-keyfile", caKey,
                         "-in", base + ".csr", "-out", base + ".pem", "-extfile", base + ".ext", "-subj", subject,
                         "-preserveDN"]
        arguments += expired ? ["-startdate", "20200101000000Z", "-enddate", "20200201000000Z"] : ["-days", "30"]
        try await Self.openssl(arguments)
        var key = base + ".key"
        if let keyPassword {
            try await Self.openssl(["pkcs8", "-topk8", "-in", key, "-out", base + ".enc.key", "-v2", "aes-256-cbc",
                              "-passout", "pass:" + keyPassword])
            key = base + ".enc.key"
        }
        let bundle = base + ".bundle.pem"
        let parts = try [key, base + ".pem", caCertificate].map { try String(contentsOfFile: $0, encoding: .utf8) }
        try parts.joined().write(toFile: bundle, atomically: true, encoding: .utf8)
        return Leaf(key: key, certificate: base + ".pem", bundle: bundle)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs openssl and waits for it without blocking a thread (its output is small: it fits
    /// the pipe, so reading after the exit is safe).
    @discardableResult
    static func openssl(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            process.terminationHandler = { _ in done.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                done.resume()
            }
        }
        guard !process.isRunning, process.processIdentifier != 0 else {
            throw TestPKIError(description: "openssl could not be started (is it installed?)")
        }
        let data = output.fileHandleForReading.availableData
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw TestPKIError(description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(text)")
        }
        return text
    }
}

struct TestPKIError: Error, CustomStringConvertible {
    var description: String
}
