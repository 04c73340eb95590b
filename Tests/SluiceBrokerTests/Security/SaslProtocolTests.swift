import Foundation
import KafkaProtocol
import NIOCore
import SluiceSecurity
import Testing
@testable import SluiceBroker

/// The SASL state machine on the wire (SASL_PLAINTEXT, raw frames): what passes before
/// authentication, out-of-order requests, failures and their delay, SaslHandshake v0's raw tokens.
@Suite(.serialized, .onTestThreads) struct SaslProtocolTests {
    func plainToken(_ user: String, _ password: String) -> ByteBuffer {
        ByteBuffer(bytes: plainClientToken(username: user, password: password))
    }

    @Test func onlyApiVersionsAndSaslPassBeforeAuthentication() async throws {
        try await SecureBrokerFixture.with(listener: "SASL_PLAINTEXT") { fixture in
            // ApiVersions is answered (and lists the SASL APIs); Metadata then closes the connection.
            let first = try await RawKafkaConnection(port: fixture.port)
            let versions = try await first.roundTrip(ApiVersionsRequest(), version: 3)
            let keys = Dictionary(uniqueKeysWithValues: versions.apiKeys.map { ($0.apiKey, $0.minVersion...$0.maxVersion) })
            #expect(keys[ApiKey.saslHandshake.rawValue] == 0...1 && keys[ApiKey.saslAuthenticate.rawValue] == 0...2)
            #expect(keys[ApiKey.alterUserScramCredentials.rawValue] == 0...0 && keys[ApiKey.describeUserScramCredentials.rawValue] == 0...0)
            try await first.send(MetadataRequest(topics: []), version: 9)
            #expect(await first.isClosedByPeer())
            // SaslAuthenticate before SaslHandshake: closed.
            let second = try await RawKafkaConnection(port: fixture.port)
            try await second.send(SaslAuthenticateRequest(authBytes: plainToken("admin", "admin-secret")), version: 2)
            #expect(await second.isClosedByPeer())
            // An unknown mechanism: UNSUPPORTED_SASL_MECHANISM listing the enabled ones, then closed.
            let third = try await RawKafkaConnection(port: fixture.port)
            let refused = try await third.roundTrip(SaslHandshakeRequest(mechanism: "GSSAPI"), version: 1)
            #expect(refused.errorCode == ErrorCode.unsupportedSaslMechanism.rawValue)
            #expect(refused.mechanisms == ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
            #expect(await third.isClosedByPeer())
            // A second SaslHandshake in the middle of an exchange: closed.
            let fourth = try await RawKafkaConnection(port: fixture.port)
            #expect(try await fourth.roundTrip(SaslHandshakeRequest(mechanism: "SCRAM-SHA-256"), version: 1).errorCode == 0)
            try await fourth.send(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1)
            #expect(await fourth.isClosedByPeer())
        }
    }

    @Test func aWrongPasswordIsAnsweredLateGenericallyAndCloses() async throws {
        try await SecureBrokerFixture.with(listener: "SASL_PLAINTEXT", properties: [("connection.failed.authentication.delay.ms", "300")]) { fixture in
            for (user, password) in [("admin", "wrong"), ("nobody", "admin-secret")] {
                let connection = try await RawKafkaConnection(port: fixture.port)
                #expect(try await connection.roundTrip(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1).errorCode == 0)
                let start = ContinuousClock.now
                let answer = try await connection.roundTrip(SaslAuthenticateRequest(authBytes: plainToken(user, password)), version: 1)
                let waited = ContinuousClock.now - start
                #expect(answer.errorCode == ErrorCode.saslAuthenticationFailed.rawValue)
                #expect(answer.errorMessage == "Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN")
                #expect(waited >= .milliseconds(300), "answered after \(waited), before connection.failed.authentication.delay.ms")
                #expect(await connection.isClosedByPeer())
            }
            // The right password: Metadata is served, and a second handshake is ILLEGAL_SASL_STATE.
            let good = try await RawKafkaConnection(port: fixture.port)
            #expect(try await good.roundTrip(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1).errorCode == 0)
            let ok = try await good.roundTrip(SaslAuthenticateRequest(authBytes: plainToken("alice", "alice-secret")), version: 2)
            #expect(ok.errorCode == 0 && ok.sessionLifetimeMs == 0)
            #expect(try await good.roundTrip(MetadataRequest(topics: []), version: 9).brokers.count == 1)
            #expect(try await good.roundTrip(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1).errorCode == ErrorCode.illegalSaslState.rawValue)
        }
    }

    @Test func handshakeV0TakesRawTokens() async throws {
        try await SecureBrokerFixture.with(listener: "SASL_PLAINTEXT") { fixture in
            let connection = try await RawKafkaConnection(port: fixture.port)
            #expect(try await connection.roundTrip(SaslHandshakeRequest(mechanism: "PLAIN"), version: 0).errorCode == 0)
            var raw = ByteBuffer()
            let token = plainClientToken(username: "admin", password: "admin-secret")
            raw.writeInteger(Int32(token.count))
            raw.writeBytes(token)
            #expect(await connection.send(raw))
            #expect(try await connection.receiveFrame().readableBytes == 0, "an empty final token")
            #expect(try await connection.roundTrip(MetadataRequest(topics: []), version: 9).brokers.count == 1)
            // A wrong raw token: the connection closes (v0 has no error answer).
            let bad = try await RawKafkaConnection(port: fixture.port)
            #expect(try await bad.roundTrip(SaslHandshakeRequest(mechanism: "PLAIN"), version: 0).errorCode == 0)
            let wrong = plainClientToken(username: "admin", password: "x")
            var frame = ByteBuffer()
            frame.writeInteger(Int32(wrong.count))
            frame.writeBytes(wrong)
            await bad.send(frame)
            #expect(await bad.isClosedByPeer())
        }
    }

    @Test func oversizedTokensAndGarbageCloseOnlyTheirConnection() async throws {
        try await SecureBrokerFixture.with(listener: "SASL_PLAINTEXT", properties: [("socket.request.max.bytes", "65536")]) { fixture in
            let watcher = try await RawKafkaConnection(port: fixture.port)
            #expect(try await watcher.roundTrip(SaslHandshakeRequest(mechanism: "SCRAM-SHA-256"), version: 1).errorCode == 0)
            // A token larger than socket.request.max.bytes: the frame is refused, the connection closed.
            let big = try await RawKafkaConnection(port: fixture.port)
            #expect(try await big.roundTrip(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1).errorCode == 0)
            await big.send(KafkaFrame.request(SaslAuthenticateRequest(authBytes: ByteBuffer(repeating: 0x41, count: 200_000)), version: 2,
                                        correlationId: 9, clientId: "big"))
            #expect(await big.isClosedByPeer())
            // SCRAM garbage: an authentication failure answer, then closed.
            let garbage = try await RawKafkaConnection(port: fixture.port)
            #expect(try await garbage.roundTrip(SaslHandshakeRequest(mechanism: "SCRAM-SHA-512"), version: 1).errorCode == 0)
            let answer = try await garbage.roundTrip(SaslAuthenticateRequest(authBytes: ByteBuffer(bytes: [0xFF, 0x00, 0x2C, 0x3D])), version: 2)
            #expect(answer.errorCode == ErrorCode.saslAuthenticationFailed.rawValue)
            #expect(await garbage.isClosedByPeer())
            // The exchange that was waiting meanwhile goes on.
            var scram = ScramClientSession(mechanism: .sha256, username: "nobody", password: "x")
            let first = try await watcher.roundTrip(SaslAuthenticateRequest(authBytes: ByteBuffer(bytes: scram.clientFirst())), version: 2)
            #expect(first.errorCode == 0 && String(buffer: first.authBytes).hasPrefix("r="))
        }
    }
}
