// swift-tools-version: 6.2
// Micro-benchmark: LogBatchJSONDecoder versus Foundation's JSONDecoder on a log batch payload.
//
// Sources/LogPilotJSON is a symlink to ../../Sources/LogPilotCore/JSON, so the benchmark compiles
// exactly the files the server uses, without the server's dependencies.
import PackageDescription

let package = Package(
    name: "json-bench",
    platforms: [.macOS(.v15)],
    targets: [
        .target(name: "LogPilotJSON"),
        .executableTarget(name: "JSONBench", dependencies: ["LogPilotJSON"]),
    ]
)

for target in package.targets {
    var settings = target.swiftSettings ?? []
    settings.append(contentsOf: [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ])
    target.swiftSettings = settings
}
