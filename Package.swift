// swift-tools-version:6.0
import PackageDescription

let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioConcurrency: Target.Dependency = .product(name: "NIOConcurrencyHelpers", package: "swift-nio")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let collections: Target.Dependency = .product(name: "Collections", package: "swift-collections")
let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "KafkaProtocol", targets: ["KafkaProtocol"]),
        .library(name: "SluiceClient", targets: ["SluiceClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // MARK: Wire protocol

        // CRC-32C with the SSE4.2 instruction where the CPU has it, a table otherwise.
        .target(name: "CCRC32C"),
        // zstd through the system's libzstd.so.1, loaded at run time (no headers needed to build).
        .target(name: "CZstd", linkerSettings: [.linkedLibrary("dl")]),
        // The values every layer shares (TopicPartition, BrokerAddress), CRC-32C and the POSIX
        // file calls: no package dependencies, so storage, Raft and the client can all sit on it.
        .target(name: "SluiceBase", dependencies: ["CCRC32C"]),
        .target(
            name: "KafkaProtocol",
            dependencies: ["SluiceBase", "CZstd", nioCore, .product(name: "CompressNIO", package: "compress-nio")]
        ),
        // The generator of Sources/KafkaProtocol/Generated, and its command.
        .target(name: "KafkaProtocolCodegen"),
        .executableTarget(name: "KafkaProtocolGenerator", dependencies: ["KafkaProtocolCodegen"]),

        // MARK: Server side

        .target(name: "SluiceStorage", dependencies: ["SluiceBase", "KafkaProtocol", nioCore, nioConcurrency, logging]),
        // Core/ imports nothing; Persistence/ imports SluiceBase (CRC-32C, POSIX file calls).
        .target(name: "SluiceRaft", dependencies: ["SluiceBase"]),
        // TLS settings, X.509 subject names, SASL (PLAIN, SCRAM): shared by the broker's both
        // sides and the client.
        .target(name: "SluiceSecurity", dependencies: [nioCore, nioSSL, crypto]),
        .target(
            name: "SluiceBroker",
            dependencies: [
                "SluiceBase", "KafkaProtocol", "SluiceStorage", "SluiceRaft", "SluiceSecurity",
                nioCore, nioPosix, nioConcurrency, nioSSL, .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                logging, collections,
                .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // MARK: Client side

        .target(name: "SluiceClient", dependencies: ["SluiceBase", "KafkaProtocol", "SluiceSecurity", nioCore, nioPosix, nioConcurrency, nioSSL, logging]),
        // The layout and configuration of a local cluster (`sluice cluster up`, the console's embedded
        // one); swift-certificates issues the CA and broker certificate of a `--secure` one.
        .target(name: "SluiceLocalCluster", dependencies: [
            crypto, .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        .systemLibrary(name: "CNCurses", providers: [.apt(["libncurses-dev"])]),
        .target(
            name: "SluiceConsole",
            dependencies: ["SluiceBase", "SluiceClient", "SluiceSecurity", "SluiceLocalCluster", "KafkaProtocol", "CNCurses", nioCore, nioPosix,
                           .product(name: "TOMLKit", package: "TOMLKit")]
        ),

        // MARK: The command

        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceBase", "KafkaProtocol", "SluiceStorage", "SluiceRaft", "SluiceBroker", "SluiceClient", "SluiceConsole",
                "SluiceLocalCluster",
                "SluiceSecurity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                nioCore, nioPosix, logging,
            ]
        ),

        // MARK: Tests

        .testTarget(name: "SluiceBaseTests", dependencies: ["SluiceBase"]),
        .testTarget(
            name: "KafkaProtocolTests",
            dependencies: [
                "SluiceBase", "KafkaProtocol", "KafkaProtocolCodegen", nioCore, .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            // Captured bytes and the scripts that captured them; read through #filePath.
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "SluiceStorageTests", dependencies: ["SluiceBase", "SluiceStorage", "KafkaProtocol", nioCore, nioConcurrency]),
        .testTarget(name: "SluiceRaftTests", dependencies: ["SluiceBase", "SluiceRaft"]),
        .testTarget(name: "SluiceSecurityTests", dependencies: ["SluiceSecurity", nioCore, nioSSL]),
        .testTarget(name: "SluiceBrokerTests", dependencies: ["SluiceBase", "SluiceBroker", "SluiceClient", "SluiceSecurity", "KafkaProtocol", nioCore, nioPosix, nioSSL]),
        .testTarget(name: "SluiceClientTests", dependencies: ["SluiceBase", "SluiceClient", "KafkaProtocol", nioCore]),
        .testTarget(name: "SluiceConsoleTests", dependencies: ["SluiceBase", "SluiceConsole", "SluiceLocalCluster", "SluiceClient", "KafkaProtocol"]),
        // End-to-end: real `sluice` processes, real Kafka clients (kcat, Python), tmux.
        .testTarget(
            name: "IntegrationTests", dependencies: ["SluiceBase", "KafkaProtocol", "SluiceClient", "SluiceConsole", "SluiceSecurity", nioCore],
            // The client scripts and programs the tests run (read through #filePath).
            exclude: ["Clients", "README.md"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
