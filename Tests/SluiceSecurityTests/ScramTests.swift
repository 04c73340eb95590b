import Foundation
import Testing
@testable import SluiceSecurity

/// SCRAM against RFC 7677's SCRAM-SHA-256 example, and both sides against each other.
@Suite struct ScramTests {
    // RFC 7677 §3.
    let clientNonce = "rOprNGfwEbeRWgbNEkqO"
    let serverNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    let clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    let serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

    @Test func clientMatchesRFC7677() throws {
        var client = ScramClientSession(mechanism: .sha256, username: "user", password: "pencil", nonce: clientNonce)
        #expect(String(decoding: client.clientFirst(), as: UTF8.self) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        let final = try client.clientFinal(serverFirst: Array(serverFirst.utf8))
        #expect(String(decoding: final, as: UTF8.self) == clientFinal)
        try client.verify(serverFinal: Array(serverFinal.utf8))
        #expect(throws: SaslClientError.self) { try client.verify(serverFinal: Array("v=AAAA".utf8)) }
    }

    @Test func serverMatchesRFC7677() {
        let salt = Base64.decode("W22ZaJ0SNY7soEsUEjb6gQ==")!
        let credential = ScramMechanism.sha256.credential(password: "pencil", iterations: 4096, salt: salt)
        var server = ScramServerSession(mechanism: .sha256, serverNonce: serverNonce) { $0 == "user" ? credential : nil }
        #expect(server.evaluate(Array("n,,n=user,r=\(clientNonce)".utf8)) == .challenge(Array(serverFirst.utf8)))
        #expect(server.evaluate(Array(clientFinal.utf8)) == .success(user: "user", final: Array(serverFinal.utf8)))
    }

    @Test(arguments: ScramMechanism.allCases)
    func clientAndServerAgreeAndAWrongPasswordFails(mechanism: ScramMechanism) throws {
        let credential = mechanism.credential(password: "s3cret", iterations: 4096)
        for (password, succeeds) in [("s3cret", true), ("wrong", false)] {
            var server = ScramServerSession(mechanism: mechanism) { $0 == "al,ice=" ? credential : nil }
            var client = SaslClientMechanism(mechanism: mechanism.rawValue, username: "al,ice=", password: password)!
            guard case .challenge(let first) = server.evaluate(client.start()) else { Issue.record("no server-first"); return }
            let final = try #require(try client.next(first))
            switch server.evaluate(final) {
            case .success(let user, let signature):
                #expect(succeeds && user == "al,ice=")
                #expect(try client.next(signature) == nil)
            case .failure(let reason):
                #expect(!succeeds && reason.contains("invalid SCRAM proof"))
            case .challenge:
                Issue.record("a third round")
            }
        }
    }

    @Test func anUnknownUserLooksLikeAKnownOneUntilTheProof() throws {
        var first: [[UInt8]] = []
        for _ in 0..<2 {
            var server = ScramServerSession(mechanism: .sha512) { _ in nil }
            var client = ScramClientSession(mechanism: .sha512, username: "nobody", password: "x")
            guard case .challenge(let serverFirst) = server.evaluate(client.clientFirst()) else { Issue.record("refused early"); return }
            let text = String(decoding: serverFirst, as: UTF8.self)
            #expect(text.contains(",s=") && text.hasSuffix(",i=4096"))
            first.append(Array(text.split(separator: ",")[1].utf8))
            let final = try client.clientFinal(serverFirst: serverFirst)
            guard case .failure(let reason) = server.evaluate(final) else { Issue.record("accepted"); return }
            #expect(reason.contains("unknown SCRAM user"))
        }
        #expect(first[0] == first[1], "the same decoy salt on every attempt, as a real user's")
    }

    @Test func malformedAndOutOfOrderMessagesFail() {
        let cases: [[String]] = [
            ["garbage"], ["p=tls-unique,,n=a,r=x"], ["n,,n=a"], ["n,,n=a,r=x,ext=1"], ["n,a=bob,n=alice,r=x"],
            ["n,,n=a,r=x", "c=biws,r=WRONG,p=AAAA"], ["n,,n=a,r=x", "no proof"], ["n,,n==ZZ,r=x"],
        ]
        for messages in cases {
            var server = ScramServerSession(mechanism: .sha256) { _ in ScramMechanism.sha256.credential(password: "p") }
            var last: SaslServerStep?
            for message in messages { last = server.evaluate(Array(message.utf8)) }
            guard case .failure = last else { Issue.record("accepted \(messages)"); continue }
        }
        var server = ScramServerSession(mechanism: .sha256) { _ in nil }
        _ = server.evaluate(Array("garbage".utf8))
        guard case .failure = server.evaluate(Array("n,,n=a,r=x".utf8)) else { Issue.record("a failed exchange went on"); return }
    }

    /// librdkafka before 2.6.1 sends c-nonce + (c-nonce + s-nonce) in client-final: accepted as
    /// Kafka 3.9 does (suffix match); a nonce without the server's part is not.
    @Test func librdkafkasDoubledClientNonceIsAccepted() throws {
        let mechanism = ScramMechanism.sha256
        let salt: [UInt8] = Array(repeating: 7, count: 16)
        let credential = mechanism.credential(password: "pencil", iterations: 4096, salt: salt)
        for (echo, succeeds) in [("CLIENTCLIENTSERVERPART", true), ("CLIENTSERVERPART", true), ("CLIENT", false), ("XSERVERPARTY", false)] {
            var server = ScramServerSession(mechanism: mechanism, serverNonce: "SERVERPART") { _ in credential }
            let bare = "n=user,r=CLIENT"
            guard case .challenge(let first) = server.evaluate(Array(("n,," + bare).utf8)) else { Issue.record("refused"); return }
            // client-final as a client computes it over what it sends (librdkafka 2.0: its nonce twice).
            let withoutProof = "c=biws,r=\(echo)"
            let salted = mechanism.saltedPassword("pencil", salt: salt, iterations: 4096)
            let clientKey = mechanism.hmac(key: salted, Array("Client Key".utf8))
            let authMessage = Array((bare + "," + String(decoding: first, as: UTF8.self) + "," + withoutProof).utf8)
            let signature = mechanism.hmac(key: mechanism.hash(clientKey), authMessage)
            let proof = Base64.encode(zip(clientKey, signature).map { $0 ^ $1 })
            let step = server.evaluate(Array((withoutProof + ",p=" + proof).utf8))
            if case .success = step { #expect(succeeds, "\(echo)") } else { #expect(!succeeds, "\(echo): \(step)") }
        }
    }

    @Test func plainChecksUsersFromTheJaasLine() throws {
        let jaas = try JaasConfig(parsing: #"org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice='alice "secret"';"#)
        #expect(jaas.plainUsers == ["admin": "admin-secret", "alice": "alice \"secret\""])
        #expect(jaas.clientCredentials?.username == "admin")
        func run(_ token: [UInt8]) -> SaslServerStep {
            var server = PlainServer(users: jaas.plainUsers)
            return server.evaluate(token)
        }
        #expect(run(plainClientToken(username: "alice", password: "alice \"secret\"")) == .success(user: "alice", final: []))
        #expect(run(Array("alice\0alice\0alice \"secret\"".utf8)) == .success(user: "alice", final: []))
        for bad in ["\0alice\0wrong", "\0nobody\0x", "bob\0alice\0alice \"secret\"", "no-nuls", "\0\0"] {
            guard case .failure = run(Array(bad.utf8)) else { Issue.record("accepted \(bad)"); continue }
        }
    }

    @Test func jaasErrorsNameTheProblem() {
        for (text, fragment) in [
            ("", "empty"), ("Module", "control flag"), ("Module required user=\"x\"", "does not end"),
            ("Module required user;", "no value"), ("Module required a=\"1\"; Other required;", "one login module"),
            ("Module required a=\"open;", "not closed"),
        ] {
            #expect(throws: JaasConfigError.self, "\(text)") { try JaasConfig(parsing: text) }
            do { _ = try JaasConfig(parsing: text) } catch { #expect("\(error)".contains(fragment), "\(text): \(error)") }
        }
    }

    @Test func base64RoundTrips() {
        for count in 0..<8 {
            let bytes = (0..<count).map { UInt8($0 * 37 & 0xFF) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.decode("abc") == nil && Base64.decode("a=bc") == nil && Base64.decode("ab!=") == nil)
    }
}
