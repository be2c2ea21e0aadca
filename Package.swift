// swift-tools-version: 6.2
// LogPilot: a multi-protocol log ingestion server (REST + gRPC) over one SQLite storage engine.
import PackageDescription

let package = Package(
    name: "logpilot",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "logpilot-all", targets: ["LogPilotAll"]),
        .executable(name: "logpilot-rest", targets: ["LogPilotRESTServer"]),
        .executable(name: "logpilot-grpc", targets: ["LogPilotGRPCServer"]),
        .library(name: "LogPilotCore", targets: ["LogPilotCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // MARK: - C libraries (one small system-library target each)
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(
            name: "CProtobufC",
            pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]
        ),
        // protoc-c output, committed; regenerate with scripts/gen-proto.sh (a test fails when it drifts).
        .target(
            name: "CLogPilotProto",
            dependencies: ["CProtobufC"]
        ),

        // MARK: - Libraries
        .target(
            name: "LogPilotCore",
            dependencies: [
                "CSQLite",
                "CZstd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "LogPilotREST",
            dependencies: [
                "LogPilotCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "LogPilotGRPC",
            dependencies: [
                "LogPilotCore", "CLogPilotProto", "CProtobufC", "CNGHTTP2",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "LogPilotGRPCFront",
            dependencies: ["LogPilotCore", "LogPilotGRPC", "LogPilotServerSupport",
                           .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "LogPilotManagement",
            dependencies: [
                "LogPilotCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "LogPilotServerSupport",
            dependencies: [
                "LogPilotCore",
                "LogPilotManagement",
                "LogPilotREST",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // MARK: - Executables (thin: build a ServiceGroup and run it)
        .executableTarget(
            name: "LogPilotAll",
            dependencies: [
                "LogPilotCore", "LogPilotREST", "LogPilotServerSupport", "LogPilotGRPCFront",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "LogPilotRESTServer",
            dependencies: [
                "LogPilotCore", "LogPilotREST", "LogPilotServerSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .executableTarget(
            name: "LogPilotGRPCServer",
            dependencies: [
                "LogPilotCore", "LogPilotGRPCFront", "LogPilotServerSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Tests
        .testTarget(
            name: "LogPilotCoreTests",
            dependencies: ["LogPilotCore", "CSQLite"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "LogPilotGRPCTests",
            dependencies: [
                "LogPilotGRPC", "LogPilotCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        .testTarget(
            name: "LogPilotServerSupportTests",
            dependencies: [
                "LogPilotCore", "LogPilotServerSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "LogPilotRESTTests",
            dependencies: [
                "LogPilotCore", "LogPilotREST", "LogPilotManagement",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)

// Strict settings for every target of ours (see STYLE.md §3.13).
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(contentsOf: [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ])
    target.swiftSettings = settings
}
