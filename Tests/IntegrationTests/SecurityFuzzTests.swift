import Foundation
import KafkaProtocol
import NIOCore
import NIOPosix
import SluiceBase
import SluiceClient
import SluiceSecurity
import Testing

/// The TLS and SASL paths under random input: mutated SASL handshakes and tokens (PLAIN, SCRAM,
/// raw v0 tokens), requests out of order, and random bytes, TLS records and plaintext Kafka frames
/// on a TLS port. The broker keeps serving, and a proper client still authenticates afterwards.
/// `FUZZ_SEED` reproduces a run; the seed is printed.
@Suite(.serialized) struct SecurityFuzzTests {
    typealias Generator = FuzzTests.SeededGenerator

    static func seed() -> UInt64 {
        ProcessInfo.processInfo.environment["FUZZ_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
    }

    static func frame<R: KafkaRequest>(_ request: R, _ version: Int16, _ id: Int32 = 1) -> ByteBuffer {
        KafkaFrame.request(request, version: version, correlationId: id, clientId: "fuzz")
    }

    static func mutate(_ bytes: [UInt8], _ rng: inout Generator) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<(1 + rng.next() % 4) {
            guard !bytes.isEmpty else { break }
            switch rng.next() % 4 {
            case 0: bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            case 1: bytes.removeLast(Int(rng.next() % UInt64(min(bytes.count, 16))))
            case 2: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(bytes.count)))
            default: bytes += (0..<(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
        return bytes
    }

    /// One connection's worth of SASL traffic: a handshake (sometimes none, v0 or v1, a valid or
    /// random mechanism), then tokens (random, mutated PLAIN or SCRAM messages), raw frames and
    /// requests out of order.
    static func saslConversation(_ rng: inout Generator) -> ByteBuffer {
        var out = ByteBuffer()
        let mechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "", "plain", String(repeating: "X", count: 300)]
        let v0 = rng.next() % 4 == 0
        if rng.next() % 8 != 0 {
            out.writeImmutableBuffer(frame(SaslHandshakeRequest(mechanism: mechanisms[Int(rng.next() % UInt64(mechanisms.count))]), v0 ? 0 : 1))
        }
        let tokens: [[UInt8]] = [
            plainClientToken(username: "admin", password: "admin-secret"), Array("n,,n=admin,r=abc".utf8),
            Array("c=biws,r=abcdef,p=AAAA".utf8), Array("n,a=x,n=y,r=z".utf8),
        ]
        for index in 0..<(1 + rng.next() % 4) {
            let base = tokens[Int(rng.next() % UInt64(tokens.count))]
            let token = rng.next() % 3 == 0 ? (0..<(rng.next() % 600)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } : mutate(base, &rng)
            switch rng.next() % 5 {
            case 0:  // a raw token frame (the v0 way), whatever was negotiated
                out.writeInteger(Int32(token.count))
                out.writeBytes(token)
            case 1:  // a request out of order
                out.writeImmutableBuffer(frame(MetadataRequest(topics: []), 9, Int32(index + 2)))
            case 2:  // a mutated SaslAuthenticate frame
                let valid = Array(frame(SaslAuthenticateRequest(authBytes: ByteBuffer(bytes: token)), 2, Int32(index + 2)).readableBytesView.dropFirst(4))
                let bytes = mutate(valid, &rng)
                out.writeInteger(Int32(bytes.count))
                out.writeBytes(bytes)
            default:
                out.writeImmutableBuffer(frame(SaslAuthenticateRequest(authBytes: ByteBuffer(bytes: token)), Int16(rng.next() % 3), Int32(index + 2)))
            }
        }
        return out
    }

    @Test(.enabled(if: Clients.commandExists("openssl"), "openssl is needed for the test certificates"))
    func randomSaslConversationsLeaveTheBrokerAuthenticating() async throws {
        let broker = try await SecureBroker(listener: "SASL_PLAINTEXT", extra: ["connection.failed.authentication.delay.ms=0"])
        defer { broker.stop() }
        let seed = Self.seed()
        print("SecurityFuzzTests SASL seed \(seed) (FUZZ_SEED=\(seed) reproduces)")
        var rng = Generator(state: seed)
        let started = Date()
        for _ in 0..<10_000 {
            let connection = try RawKafkaConnection(port: broker.process.port, timeoutSeconds: 5)
            _ = connection.send(Self.saslConversation(&rng))
            connection.finishSending()
            connection.drainUntilClosed()
            #expect(Date().timeIntervalSince(started) < 240, "fuzzing takes too long")
        }
        #expect(broker.process.isRunning, "the broker survived; stderr: \(broker.process.stderrTail())")
        // A proper exchange still works.
        let good = try RawKafkaConnection(port: broker.process.port)
        #expect(try good.roundTrip(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1).errorCode == 0)
        let token = ByteBuffer(bytes: plainClientToken(username: "alice", password: "alice-secret"))
        #expect(try good.roundTrip(SaslAuthenticateRequest(authBytes: token), version: 2).errorCode == 0)
        #expect(try good.roundTrip(MetadataRequest(topics: []), version: 12).brokers.count == 1)
    }

    /// Random bytes, plausible TLS records with random bodies, and plaintext Kafka frames on a
    /// TLS port, some cut short; then a TLS client connects as usual.
    @Test(.enabled(if: Clients.commandExists("openssl"), "openssl is needed for the test certificates"))
    func randomBytesOnATLSPortLeaveItServing() async throws {
        let broker = try await SecureBroker(listener: "SSL", extra: ["ssl.client.auth=requested"])
        defer { broker.stop() }
        let seed = Self.seed()
        print("SecurityFuzzTests TLS seed \(seed) (FUZZ_SEED=\(seed) reproduces)")
        var rng = Generator(state: seed)
        let started = Date()
        for _ in 0..<5_000 {
            let connection = try RawKafkaConnection(port: broker.process.port, timeoutSeconds: 5)
            var out = ByteBuffer()
            switch rng.next() % 3 {
            case 0:
                out.writeBytes((0..<(rng.next() % 2000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            case 1:  // TLS records (handshake, alert, application data) with random bodies
                for _ in 0..<(1 + rng.next() % 3) {
                    let body = (0..<(rng.next() % 700)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    let length = rng.next() % 6 == 0 ? UInt16(truncatingIfNeeded: rng.next()) : UInt16(body.count)
                    out.writeBytes([[0x16, 0x15, 0x17, 0x14][Int(rng.next() % 4)], 0x03, UInt8(rng.next() % 5)])
                    out.writeInteger(length)
                    out.writeBytes(body)
                }
            default:
                out.writeImmutableBuffer(Self.frame(ApiVersionsRequest(), Int16(rng.next() % 4)))
                out.writeImmutableBuffer(Self.saslConversation(&rng))
            }
            _ = connection.send(out)
            connection.finishSending()
            connection.drainUntilClosed()
            #expect(Date().timeIntervalSince(started) < 240, "fuzzing takes too long")
        }
        #expect(broker.process.isRunning, "the broker survived; stderr: \(broker.process.stderrTail())")
        var configuration = ClientConfiguration(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: broker.process.port)],
                                                connectTimeout: .seconds(5), requestTimeout: .seconds(10), retry: RetryPolicy(maxAttempts: 2))
        configuration.security = try ClientSecurity(properties: broker.mtls(nil))
        let client = KafkaClient(configuration: configuration)
        let metadata = try await client.metadata(topics: [], refresh: true)
        await client.close()
        #expect(metadata.brokers.count == 1)
    }
}
