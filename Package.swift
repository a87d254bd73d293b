// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "parcelgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "parcelgate", targets: ["parcelgate"]),
    ],
    dependencies: [
        // HTTP server. Default traits off: we need neither swift-configuration nor full Foundation in it.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Already built for Hummingbird; named for NIOHTTPTypes, the request parts our connection guard observes.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The outbound notification sender (issue 15): a pooled HTTP/1.1 client with connect and total timeouts
        // and a per-connection hook that sees the address actually connected to (the SSRF check). Its only
        // trait, UnstableHTTPAPIsSupport, is an unstable SPI we do not use: traits off.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0", traits: []),
        // Tracing (issue 18): the API every span is written against (Hummingbird's TracingMiddleware uses it too).
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // The OTLP exporter, batch span processor and samplers, configured by the OTEL_* variables. Only its
        // OTLPHTTP trait: the default traits would bring gRPC (grpc-swift-2 and its transport) and its build time.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        // The console's HTML (issue 17): Hummingbird's Mustache renderer, its templates compiled into the binary
        // as string literals (Sources/ParcelGateServer/Console/Templates). It declares no traits.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "ParcelGateCore",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ParcelGateCarriers",
            dependencies: ["ParcelGateCore", "COpenSSL"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ParcelGateStore",
            dependencies: [
                "ParcelGateCore", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Only for `ConnectionPoolError`, which PostgresNIO's pool throws unwrapped (its circuit breaker).
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                // The SQLite store's threads as a Service (already built for PostgresNIO's client).
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                // The PostgreSQL group leaders' event loop (IngestGroupCommitter); built for PostgresNIO anyway.
                .product(name: "NIOPosix", package: "swift-nio"),
                // Only the API: a traced commit group is recorded as a span (Workflow/CommitGroupTrace.swift).
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ParcelGateClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ParcelGateServer",
            dependencies: [
                "ParcelGateCore", "ParcelGateCarriers", "ParcelGateStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // The sender reads NIOPosix's connection errors and NIOSSL's TLS errors to tell a refused
                // connection from a failed handshake (both already built for AsyncHTTPClient).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "parcelgate",
            dependencies: [
                "ParcelGateServer", "ParcelGateClient", "ParcelGateCarriers", "ParcelGateStore", "ParcelGateCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParcelGateCoreTests",
            dependencies: ["ParcelGateCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParcelGateCarriersTests",
            dependencies: ["ParcelGateCarriers"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParcelGateStoreTests",
            dependencies: [
                "ParcelGateStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParcelGateServerTests",
            dependencies: [
                "ParcelGateServer", "ParcelGateClient", "ParcelGateCarriers", "ParcelGateStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // EmbeddedChannel, to drive the notifications' connection guard without a socket.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                // The webhook sender's loopback receivers: plain NIO, so a test controls every byte and pause.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // The client's own error values, to check how the sender describes them.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            // Throw-away RSA test keys, read by path (JWKSFetchTests, the replay test), not built.
            exclude: ["Keys"],
            swiftSettings: swiftSettings
        ),
        // Fuzz targets' bodies (issue 13): scripts/fuzz.sh compiles these with swiftc into libFuzzer
        // binaries; the test target replays Fuzz/regressions/ through the same functions.
        .target(
            name: "ParcelGateFuzzing",
            dependencies: ["ParcelGateCore", "ParcelGateCarriers"],
            path: "Fuzz/Targets",
            swiftSettings: swiftSettings
        ),
        // The config target's body: apart, so ParcelGateFuzzing stays free of the server's dependencies.
        .target(
            name: "ParcelGateFuzzingConfig",
            dependencies: ["ParcelGateCore", "ParcelGateCarriers", "ParcelGateServer"],
            path: "Fuzz/Config",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParcelGateFuzzingTests",
            dependencies: ["ParcelGateFuzzing", "ParcelGateFuzzingConfig"],
            swiftSettings: swiftSettings
        ),
    ]
)
